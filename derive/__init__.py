"""derive: step-by-step, CAS-checked answer keys for deep-learning homework."""

__version__ = "0.1.0"
