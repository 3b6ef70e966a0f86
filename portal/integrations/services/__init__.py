"""The integrations' writes, by concern: API keys (``api_keys``), deliveries to back offices
(``deliveries``), status updates coming back (``status``) and Open311 polling (``polling``)."""
