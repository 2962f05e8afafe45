"""Community co-governance (M18–M22): volunteers, community reports, safe shops and compounds,
disputes and hazards. Domain rules live here; tables in :mod:`xunfang.store.community`; HTTP in
:mod:`xunfang.api.routers.community`."""
