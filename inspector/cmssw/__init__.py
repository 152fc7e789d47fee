"""What CMSSW payload classes mean beyond their members.

The archive layouts (``payload_schemas/*.archive.toml``) give a class's
members as CMSSW writes them; some classes pack their numbers further in
ways only their C++ methods know (SiStripNoises keeps 9-bit noise codes in a
byte vector, read from the end).  These codecs, vectorised over numpy, are
shared by the built-in drawers, the demo database and plugins; each cites the
cmssw source it follows.  No I/O here.
"""
