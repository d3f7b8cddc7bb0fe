"""How KPIs, targets, measurements and snapshots look in the REST API. KPIs and initiatives
are named by their codes, people by their usernames, sources by their names."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from initiatives.models import Initiative

from .models import KPI, Measurement, MonthlySnapshot, Target
from .services.kpis import KPI_FIELDS


def _people():
    return get_user_model().objects.all()


class KPISerializer(serializers.ModelSerializer):
    accountable_executive = serializers.SlugRelatedField(slug_field="username", queryset=_people())
    co_accountable_executive = serializers.SlugRelatedField(
        slug_field="username", queryset=_people(), allow_null=True, required=False
    )
    ratio_numerator = serializers.SlugRelatedField(
        slug_field="code", queryset=KPI.objects.all(), allow_null=True, required=False
    )
    ratio_denominator = serializers.SlugRelatedField(
        slug_field="code", queryset=KPI.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = KPI
        fields = ["id", *KPI_FIELDS]  # what the service writes (metrics.services.kpis)


RETIRED_AMBER_THRESHOLD = (
    "Targets no longer take an amber threshold: amber now begins at the target (a figure that misses its target "
    "is amber, and red past the red threshold). Send only the target and the red threshold."
)


class TargetSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", queryset=KPI.objects.all())
    initiative = serializers.SlugRelatedField(
        slug_field="code", queryset=Initiative.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Target
        fields = ["id", "kpi", "initiative", "effective_from", "target", "red_threshold"]
        validators = []  # one target per KPI, initiative and month: said by the service, on its field

    def to_internal_value(self, data):
        # A field the API no longer takes is refused by name, never dropped in silence: a client
        # still sending its amber threshold learns that the number would change nothing.
        if hasattr(data, "get") and "amber_threshold" in data:
            raise serializers.ValidationError({"amber_threshold": [RETIRED_AMBER_THRESHOLD]})
        return super().to_internal_value(data)


class MeasurementSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)
    initiative = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    entered_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Empty for a pulled value."
    )

    class Meta:
        model = Measurement
        fields = [
            "id",
            "kpi",
            "initiative",
            "source",
            "observed_at",
            "value",
            "note",
            "entered_by",
            "entered_via",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MeasurementInSerializer(serializers.Serializer):
    """One measurement as sent: only for the schema; batches are read by metrics/api.py's
    own row reader, which is many times faster than a serializer per row."""

    kpi = serializers.SlugField(help_text="The KPI's code.")
    initiative = serializers.SlugField(
        required=False, allow_null=True, help_text="The initiative's code; null or absent for a company-wide KPI."
    )
    observed_at = serializers.DateTimeField(
        help_text="When the value was observed, with its time zone. The value stands for the KPI's period "
        "(its day, week or month): another value for that period corrects it."
    )
    value = serializers.DecimalField(max_digits=20, decimal_places=6)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class BatchInSerializer(serializers.Serializer):
    source = serializers.CharField(
        required=False, help_text="The name of a REST push source; the shared 'REST API' source when absent."
    )
    measurements = MeasurementInSerializer(many=True, help_text="Up to 10 000 measurements, stored all or none.")


class BatchOutSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Rows in the request.")
    stored = serializers.IntegerField(help_text="Rows written: new, or a changed value for a key already stored.")
    unchanged = serializers.IntegerField(help_text="Rows already stored with the same value: nothing written.")


class MonthlySnapshotSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)
    initiative = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Empty for a company-wide figure."
    )

    class Meta:
        model = MonthlySnapshot
        fields = [
            "id",
            "kpi",
            "initiative",
            "month",
            "value",
            "target",
            "red_threshold",
            "status",
            "measurement_count",
            "computed_at",
            "pending_restatement_value",
        ]
        read_only_fields = fields
