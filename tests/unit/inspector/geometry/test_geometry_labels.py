"""Layer and disk labels of a layout, from the detids: one per (sided partition, layer) group."""

from __future__ import annotations

import numpy as np

from inspector.geometry import load_layout, partition_of
from inspector.geometry.detid import layer
from inspector.geometry.labels import group_labels


def test_tracker_map_labels_every_layer_and_wheel_above_its_modules() -> None:
    layout = load_layout("tracker_map")
    labels = group_labels(layout)
    text = list(labels.text)
    expected = [f"TIB L{n}" for n in range(1, 5)] + [f"TOB L{n}" for n in range(1, 7)]
    expected += [f"TEC{s} W{n}" for s in "+-" for n in range(1, 10)]
    expected += [f"TID{s} W{n}" for s in "+-" for n in range(1, 4)]
    assert set(expected) <= set(text) and {"BPix", "FPix-", "FPix+"} <= set(text)
    assert len(text) == len(set(text)) == len(expected) + 3
    # TEC+ W3: centred on its modules' vertices, at their top.
    ids = np.asarray(layout.ids)
    sel = (partition_of(ids, sides=True) == "TEC+") & (np.asarray(layer(ids)) == 3)
    rows = np.flatnonzero(sel)
    xs = np.concatenate([layout.polygon(int(r))[0] for r in rows])
    ys = np.concatenate([layout.polygon(int(r))[1] for r in rows])
    i = text.index("TEC+ W3")
    assert labels.x[i] == np.float64((xs.min() + xs.max()) / 2)
    assert labels.y[i] == ys.max()
    # Drawn in landscape (x and y swapped), the label is still above its group.
    turned = group_labels(layout, transpose=True)
    assert turned.y[i] == xs.max() and turned.x[i] == np.float64((ys.min() + ys.max()) / 2)
