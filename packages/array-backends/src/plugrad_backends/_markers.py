"""The marker plugins use to implement plugrad's hooks (re-exported as ``hookimpl``)."""

import pluggy

hookimpl = pluggy.HookimplMarker("plugrad")
