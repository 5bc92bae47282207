"""Failed sign-ins slow a password guesser down without locking a whole office out.

Three counters of failed sign-ins, each with waits that double past its free failures:

- per account *and* address: after 5 failures, the next try from there waits 30 s, then 1 min,
  2 min… up to 15 min. Someone guessing Alice's password from one address slows down there
  alone: Alice elsewhere, and her colleagues behind the same address, sign in as usual;
- per account, from many addresses: each address counts its first 5 failures only, so one
  address never slows an account down for everyone; 20 of them (a guesser spread over four
  addresses or more) make every try on that account wait;
- per address, over many accounts: past 50 failures, that address waits too, except for the
  accounts that signed in from it in the last 30 days (an office's own people).

While a wait lasts, a try is refused unchecked, right password or not, and the page says when
to try again. Counters are forgotten a day after their first failure; a successful sign-in
clears its account-and-address counter. They live in Flask-Limiter's storage
(``DOLEANCE_RATELIMIT_STORAGE_URL``: memory by default, a shared store such as Redis when
several web processes serve), and ``RATELIMIT_ENABLED = False`` turns them off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

DEFAULTS = {
    "LOGIN_FREE_FAILURES": 5,  # per account and address, before the first wait
    "LOGIN_FREE_FAILURES_PER_ACCOUNT": 20,  # each address counting its first free ones only
    "LOGIN_FREE_FAILURES_PER_ADDRESS": 50,  # over all accounts not yet known at the address
    "LOGIN_FIRST_WAIT_SECONDS": 30,  # doubles with each further failure; 0: no waits
    "LOGIN_LONGEST_WAIT_SECONDS": 15 * 60,
    "LOGIN_FORGET_AFTER_SECONDS": 24 * 3600,  # counters end this long after their first failure
    "LOGIN_KNOWN_FOR_SECONDS": 30 * 24 * 3600,  # a sign-in makes its address known this long
    "RATELIMIT_STORAGE_URI": "memory://",
}
_PREFIX = "doleance-sign-in"


@dataclass(frozen=True)
class Wait:
    """A try refused: ``seconds`` until the next one is checked."""

    seconds: int


class SignInThrottle:
    """The counters of failed sign-ins (see the module's description)."""

    def __init__(self, limiter: Limiter, config):
        self.limiter = limiter
        self.config = config

    def wait(self, username: str, address: str) -> Wait | None:
        """How long ``username`` must wait before a try from ``address`` is checked, if at all."""
        if not self.limiter.enabled:
            return None
        pair = _pair(username, address)
        waits = [_key("wait", pair), _key("wait", _account(username))]
        if not self.storage.get(_key("known", pair)):
            waits.append(_key("wait", _address(address)))
        ends = [self.storage.get_expiry(key) for key in waits if self.storage.get(key)]
        if not ends:
            return None
        return Wait(max(1, round(max(ends) - time.time())))

    def failed(self, username: str, address: str) -> None:
        """Count a wrong password (or unknown account) tried from ``address``."""
        if not self.limiter.enabled:
            return
        free = self.config["LOGIN_FREE_FAILURES"]
        pair = _pair(username, address)
        failures = self._count(pair, free)
        if failures <= free:  # one address counts for an account as much as its free failures
            self._count(_account(username), self.config["LOGIN_FREE_FAILURES_PER_ACCOUNT"])
        self._count(_address(address), self.config["LOGIN_FREE_FAILURES_PER_ADDRESS"])

    def succeeded(self, username: str, address: str) -> None:
        """A right password: the account-and-address counter starts again; the address is known."""
        if not self.limiter.enabled:
            return
        pair = _pair(username, address)
        self.storage.clear(_key("failures", pair))
        self.storage.clear(_key("known", pair))
        self.storage.incr(_key("known", pair), self.config["LOGIN_KNOWN_FOR_SECONDS"])

    def _count(self, counter: str, free: int) -> int:
        """One more failure on ``counter``; past ``free`` failures, start its wait."""
        failures = self.storage.incr(
            _key("failures", counter), self.config["LOGIN_FORGET_AFTER_SECONDS"]
        )
        seconds = self.wait_after(failures - free + 1)
        if failures >= free and seconds > 0:
            wait = _key("wait", counter)
            self.storage.clear(wait)
            self.storage.incr(wait, seconds)
        return failures

    def wait_after(self, excess: int) -> int:
        """Seconds to wait after the ``excess``-th failure past the free ones (1, 2, …)."""
        first = self.config["LOGIN_FIRST_WAIT_SECONDS"]
        return min(first * 2 ** min(excess - 1, 32), self.config["LOGIN_LONGEST_WAIT_SECONDS"])

    @property
    def storage(self):
        return self.limiter.storage


def register(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    limiter = Limiter(get_remote_address, app=app)
    app.extensions["doleance_sign_ins"] = SignInThrottle(limiter, app.config)


def throttle() -> SignInThrottle:
    return current_app.extensions["doleance_sign_ins"]


def _key(kind: str, counter: str) -> str:
    return f"{_PREFIX}/{kind}/{counter}"


def _pair(username: str, address: str) -> str:
    return f"pair:{_name(username)}@{address}"


def _account(username: str) -> str:
    return f"account:{_name(username)}"


def _address(address: str) -> str:
    return f"address:{address}"


def _name(username: str) -> str:
    return username.strip().lower()
