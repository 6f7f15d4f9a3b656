"""Settings of the minimal Django Channels 4 chat the benchmark compares against.

Served by daphne with channels-redis: ``CHANNEL_LAYER`` picks the layer,
``pubsub`` (``RedisPubSubChannelLayer``, the faster one) or ``core``
(``RedisChannelLayer``, the long-standing default); ``REDIS_URL`` its server.
"""

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["daphne", "channels"]
ROOT_URLCONF = "channels_chat.urls"
ASGI_APPLICATION = "channels_chat.asgi.application"
DATABASES = {}
USE_TZ = True

_layer = os.environ.get("CHANNEL_LAYER", "pubsub")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": {
            "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "core": "channels_redis.core.RedisChannelLayer",
        }[_layer],
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")],
            "prefix": os.environ.get("CHANNEL_PREFIX", "asgi"),
        },
    }
}
