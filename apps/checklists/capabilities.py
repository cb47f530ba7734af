"""Who may read and who may change questions and checklists, for REST and GraphQL alike.

Guards read them on the phone to perform work (``jobs.perform``); console users read them
with the sites (``sites.view``). Changing them is master-data or planning work.
"""

from __future__ import annotations

READ_CAPABILITIES = ("sites.view", "jobs.perform")
WRITE_CAPABILITIES = ("sites.manage", "schedules.manage")
