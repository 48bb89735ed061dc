"""The rnn-activation kind's notation: derive.kinds.rnn_notation, a module outside this package so that the
numeric machinery it shares (derive.kinds.dynamics) imports it without importing the kind; every name of
that module is here too."""

from .. import rnn_notation as _source

globals().update({k: v for k, v in vars(_source).items() if not k.startswith("__")})
__all__ = _source.__all__
