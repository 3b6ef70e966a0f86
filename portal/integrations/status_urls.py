app_name = "back_office_api"
urlpatterns: list = []
