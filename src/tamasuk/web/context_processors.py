from django.conf import settings
from django.utils.translation import get_language_bidi

from tamasuk.cities.models import City


def tamasuk(request):
    return {
        # Every page of an installation holding the demo city says so: nobody may mistake it for real data.
        "demo_data": settings.TAMASUK_DEMO_BANNER and City.objects.filter(is_demo=True).exists(),
        "rtl": get_language_bidi(),
    }
