"""Capabilities: the permissions a role grants, by code.

Roles are per-tenant rows and editable; these codes are the vocabulary they draw from.
Seeds give every new tenant the four standard roles.
"""

from __future__ import annotations

CAPABILITIES: dict[str, str] = {
    "console.access": "Sign in to the web console",
    "admin.manage": "Manage the tenant: people, roles, settings, Django admin",
    "people.view": "See people of the tenant",
    "people.manage": "Create and edit people",
    "sites.view": "See sites",
    "sites.manage": "Create and edit clients, sites and master data",
    "schedules.manage": "Plan tours, tasks and maintenance",
    "jobs.perform": "Receive and perform work on the mobile app",
    "noc.view": "See the live operations dashboard and alerts",
    "noc.manage": "Acknowledge, assign and resolve alerts",
    "tickets.manage": "Handle tickets",
    "reports.view": "Run and read reports",
    "client.portal": "Read the client portal of one's own client",
}

ADMIN, SUPERVISOR, GUARD, CLIENT_VIEWER = "admin", "supervisor", "guard", "client_viewer"

SEED_ROLES: dict[str, tuple[str, list[str]]] = {
    ADMIN: ("Administrator", sorted(CAPABILITIES)),
    SUPERVISOR: (
        "Supervisor",
        [
            "console.access",
            "people.view",
            "sites.view",
            "schedules.manage",
            "noc.view",
            "noc.manage",
            "tickets.manage",
            "reports.view",
        ],
    ),
    GUARD: ("Guard", ["jobs.perform"]),
    CLIENT_VIEWER: ("Client viewer", ["client.portal", "reports.view"]),
}
