"""CMSSW archives: payload classes as boost::serialization writes them.

CMSSW serialises every payload with boost::serialization through
``eos::portable_oarchive``: variable-size integers, floats as their bit
pattern, one class header per class per archive, counts and item versions for
containers.  A layout declares a payload class as its C++ members in
declaration order (``docs/payload-schemas.md``); this package reads and writes
such archives.  No I/O happens here.
"""
