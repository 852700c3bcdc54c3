"""Simulated respondents speaking Streamlit's own protocol to a running ``streamlit run`` server.

A browser talks to a Streamlit server over one websocket (``/_stcore/stream``): it sends
``BackMsg`` protobufs (a rerun request carrying the states of the widgets the user changed, the
page and, for a widget inside a fragment, the fragment's id) and receives ``ForwardMsg``
protobufs (the elements drawn, then ``script_finished``). :class:`Respondent` does exactly that,
with the message classes of the installed Streamlit (``streamlit.proto``) and the ``websockets``
client (a dependency of Streamlit's server, pinned in constraints.txt), so the load lands on the server and not on
browsers: it opens the questionnaire's deep link, signs in through the sign-in form, and then
changes one answer every few seconds, timing each change from the request to ``script_finished``
(the answer is saved by the radio's callback before the rerun finishes: "click to saved").

Loopback only: :func:`connect` refuses any host but 127.0.0.0/8. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import WebSocketException

STEP_TIMEOUT = 30.0  # seconds a rerun may take before the respondent gives up on it (counted as failed)
LEVELS = range(0, 6)  # radio option index == level for 0..5 (the seventh option is N/A)


class ProtocolError(RuntimeError):
    """The server did not answer as a browser session expects (timeout, closed socket, page error)."""


@dataclass
class Widgets:
    """What the last runs drew: widget ids by user key, their fragment, and the sign-in form's submit button."""

    ids: dict[str, str] = field(default_factory=dict)  # user key -> widget id
    fragment: dict[str, str] = field(default_factory=dict)  # widget id -> fragment id ("" outside fragments)
    submit: dict[str, str] = field(default_factory=dict)  # form id -> submit button id
    options: dict[str, list[str]] = field(default_factory=dict)  # radio id -> option labels as drawn
    exception: str = ""
    refusal: str = ""  # an error message the run drew (e.g. "not saved: the database was busy")

    def note(self, delta: Any) -> None:
        if not delta.HasField("new_element"):
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            self.exception = el.exception.message or el.exception.type
            return
        if kind == "alert" and el.alert.format == el.alert.ERROR:
            self.refusal = el.alert.body
            return
        if kind not in ("radio", "text_input", "text_area", "button", "selectbox"):
            return
        proto = getattr(el, kind)
        wid = proto.id
        key = wid.split("-", 2)[2] if wid.startswith("$$ID-") and wid.count("-") >= 2 else ""
        if key and key != "None":
            self.ids[key] = wid
        self.fragment[wid] = delta.fragment_id
        if kind == "radio":
            self.options[wid] = list(proto.options)
        if kind == "button" and proto.is_form_submitter:
            self.submit[proto.form_id] = wid


def _check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the load driver talks to loopback addresses only, not {host}")


async def connect(host: str, port: int, *, source: str = "127.0.0.1") -> ClientConnection:
    """A websocket to the server's stream endpoint, from ``source`` (a 127.x address: sticky proxies hash it)."""
    _check_loopback(host)
    _check_loopback(source)
    # local_addr: the socket is bound to ``source`` before connecting, so a proxy sees one address per user.
    return await ws_connect(f"ws://{host}:{port}/_stcore/stream", subprotocols=["streamlit"],  # type: ignore[list-item]
                            max_size=64 * 1024 * 1024, open_timeout=STEP_TIMEOUT, ping_interval=None,
                            compression=None, local_addr=(source, 0))


@dataclass
class Respondent:
    """One simulated user: a websocket session of the app, signed in, answering the questionnaire."""

    host: str
    port: int
    username: str
    password: str
    assessment_id: int
    source: str = "127.0.0.1"
    latencies: list[float] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)  # question id -> last level sent (and confirmed)
    per_question: dict[str, int] = field(default_factory=dict)  # question id -> confirmed changes
    uncertain: set[str] = field(default_factory=set)  # a change sent but not confirmed (may or may not be stored)
    sent: int = 0
    failed: int = 0
    error: str = ""
    _ws: ClientConnection | None = None
    _widgets: Widgets = field(default_factory=Widgets)
    _page_hash: str = ""

    async def _run(self, *, page: str = "", query: str = "", states: list[Any] | None = None,
                   fragment: str = "") -> float:
        """Send one rerun request and read until the run finishes; returns its seconds."""
        assert self._ws is not None
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query
        cs.page_name = page
        cs.page_script_hash = self._page_hash if not page else ""
        if fragment:
            cs.fragment_id = fragment
        for state in states or []:
            cs.widget_states.widgets.append(state)
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.locale = "zh-CN"
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        self._widgets.exception = self._widgets.refusal = ""
        deadline = start + STEP_TIMEOUT
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ProtocolError("no script_finished within the step timeout")
            try:
                raw = await asyncio.wait_for(self._ws.recv(), remaining)
            except TimeoutError as exc:
                raise ProtocolError("no script_finished within the step timeout") from exc
            except WebSocketException as exc:
                raise ProtocolError(f"the websocket failed: {exc}") from exc
            fwd = ForwardMsg()
            fwd.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self._page_hash = fwd.new_session.page_script_hash
            elif kind == "page_info_changed" or kind == "navigation":
                if kind == "navigation" and fwd.navigation.page_script_hash:
                    self._page_hash = fwd.navigation.page_script_hash
            elif kind == "delta":
                self._widgets.note(fwd.delta)
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): the next run follows on its own
                if self._widgets.exception:
                    raise ProtocolError(f"the page raised: {self._widgets.exception}")
                if self._widgets.refusal:  # told the user it did not save: a failed change, never a lost one
                    raise ProtocolError(f"the page refused: {self._widgets.refusal[:160]}")
                return time.perf_counter() - start

    async def open(self) -> None:
        """Open the questionnaire's deep link, sign in through the form, and see the answer radios."""
        self._ws = await connect(self.host, self.port, source=self.source)
        await self._run(page="questionnaire", query=f"assessment={self.assessment_id}")
        w = self._widgets
        if "signin_username" not in w.ids or "signin" not in w.submit:
            raise ProtocolError("no sign-in form on the first page")
        states = [_text(w.ids["signin_username"], self.username), _text(w.ids["signin_password"], self.password),
                  _trigger(w.submit["signin"])]
        await self._run(states=states, query=f"assessment={self.assessment_id}")
        if not self._radios():
            raise ProtocolError("signed in, but no answer radios on the questionnaire")

    def _radios(self) -> dict[str, str]:
        """Question id -> radio widget id of the answers shown."""
        return {key[len("ans_"):]: wid for key, wid in self._widgets.ids.items() if key.startswith("ans_")}

    async def change_one(self, rng: random.Random) -> None:
        """Change one shown answer to a different level, as a click on a radio option does.

        The assessment starts without answers, so the level last sent is the stored one: each change
        differs from it and must be stored as exactly one new revision.
        """
        radios = self._radios()
        qid = rng.choice(sorted(radios))
        wid = radios[qid]
        current = self.changes.get(qid)
        level = rng.choice([x for x in LEVELS if x != current])
        # A radio's choice goes back as the label of the option (Streamlit matches it to the options drawn).
        state = _text(wid, self._widgets.options[wid][level])
        self.sent += 1
        self.uncertain.add(qid)
        seconds = await self._run(states=[state], fragment=self._widgets.fragment.get(wid, ""),
                                  query=f"assessment={self.assessment_id}")
        self.uncertain.discard(qid)
        self.latencies.append(seconds)
        self.changes[qid] = level
        self.per_question[qid] = self.per_question.get(qid, 0) + 1

    async def answer_for(self, seconds: float, every: float, rng: random.Random) -> None:
        """Change an answer every ``every`` seconds (jittered) for ``seconds``; errors end this respondent only."""
        end = time.perf_counter() + seconds
        try:
            while time.perf_counter() < end:
                await asyncio.sleep(rng.uniform(0.5 * every, 1.5 * every))
                if time.perf_counter() >= end:
                    break
                await self.change_one(rng)
        except (ProtocolError, OSError) as exc:
            self.failed += 1
            self.error = str(exc)

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 5)
            self._ws = None


def _text(wid: str, value: str) -> Any:
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    s = WidgetState(id=wid)
    s.string_value = value
    return s


def _trigger(wid: str) -> Any:
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    s = WidgetState(id=wid)
    s.trigger_value = True
    return s


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0–100) by the nearest-rank method; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]
