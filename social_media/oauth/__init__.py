"""Connecting accounts with OAuth from the credentials admin (the *Connect* buttons).

A platform that offers OAuth describes its provider in ``social_media/platforms/<key>/connect.py``
(``PROVIDER``, an ``OAuthProvider``); ``BasePlatform.oauth_provider()`` finds it. The modules
here name no platform: ``provider.py`` (the description and the Authlib client), ``flow.py``
(state, code exchange, what to pick, storing the credential), ``views.py`` (the admin pages and
the callback) and ``refresh.py`` (keeping the tokens alive).
"""
