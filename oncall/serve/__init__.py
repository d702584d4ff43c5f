"""``oncall serve``: alert intake, incidents and durable escalation, Twilio callbacks.

Nothing here is imported by any other command. Incidents, attempts and timers live in the
one store (``oncall.paging.store``), which ``page``, ``incidents``, ``ack`` and ``resolve``
share. Starlette, uvicorn and prometheus-client are imported only by ``app`` and ``runner``.

**Incidents.** An incident is opened by an alert (or ``oncall page``) for one rotation and
one dedup key. It moves ``triggered -> acknowledged -> resolved`` (or straight to
``resolved``); it never moves back. While it covers its key (see ``paging.store``: for an
alert's incident, until it is resolved), another alert or page with the same rotation and
key opens nothing and pages nobody (it is a duplicate). Its id is a small integer, unique
in the store, that a person can type in an SMS (``ack 42``).

**Escalation timers.** A triggered incident has at most one timer: the next (step,
channel) to page and when. Opening the incident creates the first timer, due at once.
Firing a timer resolves the step's person at that instant, pages them on one channel and
replaces the timer by the next one: the next channel after ``wait / channels`` (the
step's wait is shared among the person's channels, as ``oncall page`` does), then the
next step. A step whose person is nobody or unreachable is skipped at once. After the
last step the incident stays triggered with no timer (``exhausted``): it is still open,
and a person can still acknowledge it. Acknowledging or resolving deletes the timer in
the same transaction that changes the state, so a step racing an acknowledgement either
fired before it or not at all.

A timer is *claimed* (leased for ``LEASE``) in one transaction before its send, and the
attempt is written as ``sending`` in that same transaction. A process killed while
waiting leaves the timer unclaimed in the store: the next process fires it at its due
time, once. A process killed during a send leaves a ``sending`` attempt behind a lease
that runs out: the next process does not resend (Twilio may have sent it), but records
that attempt as ``unknown`` and moves to the next channel at once.

A failed delivery (status callback ``undelivered``, ``failed``, ``busy``, ``no-answer``,
``canceled``, or a call answered by a machine) of the incident's latest attempt makes the
timer due at once; so does a keypress 9.
"""
