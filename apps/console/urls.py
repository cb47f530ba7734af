from django.urls import path

from . import alerts, jobs, tickets, views

app_name = "console"
# The alert and ticket paths are the ones the e-mails and the API's ``url`` fields link to
# (apps.noc.announce.console_path, apps.helpdesk.announce.console_path).
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("noc/alerts/", alerts.alert_list, name="alerts"),
    path("noc/alerts/<int:alert_id>/", alerts.alert_detail, name="alert"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_create, name="ticket-create"),
    path("tickets/<int:ticket_id>/", tickets.ticket_detail, name="ticket"),
    path("jobs/", jobs.job_board, name="jobs"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job"),
]
