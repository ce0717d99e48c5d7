"""HTTP API of event-gateway, one router per resource.

Write endpoints take ``db_session``: the transaction commits before the response is
sent, so a 2xx always means the row (and its outbox event) is stored.
"""
