"""Adapters to external providers (SMS, WeChat, e-mail, payments, e-signature, …).

Each provider sits behind an adapter base class, is switched on by settings, and has a sandbox
implementation for the embedded default.
"""
