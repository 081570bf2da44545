package io.trainwatch.stack.observability;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How the checks read PromQL out of the dashboards: variable substitution and metric names. */
class DashboardsIT {

    @Test
    void substitutesGrafanaVariablesWithValuesPrometheusAccepts() {
        Dashboards.Query q = new Dashboards.Query("x",
                "sum by (run) (rate(trainer_step_seconds_count{job=~\"$job\", run=~\"${run}\"}[$__rate_interval])) "
                        + "+ increase(monitor_alerts_total[$__range]) + 0 * count_over_time(up[$__interval])");
        assertThat(q.substituted()).isEqualTo(
                "sum by (run) (rate(trainer_step_seconds_count{job=~\".*\", run=~\".*\"}[1m])) "
                        + "+ increase(monitor_alerts_total[5m]) + 0 * count_over_time(up[15s])");
    }

    @Test
    void findsTheServicesMetricNamesButNotFunctionsOrLabels() {
        assertThat(Dashboards.metricNames(
                "sum by (job) (rate(trainer_events_published_total{job=~\".*\"}[1m])) - "
                        + "sum(rate(monitor_events_total[1m])) / max(jvm_memory_used_bytes{area=\"heap\"}) "
                        + "unless on (run) tuner_study_best{study=~\"s.*\"}"))
                .containsExactly("trainer_events_published_total", "monitor_events_total", "jvm_memory_used_bytes",
                        "tuner_study_best");
    }

    @Test
    void metricNamesOfAnExpressionWithoutServiceMetricsIsEmpty() {
        assertThat(Dashboards.metricNames("up == 0")).isEmpty();
        assertThat(Dashboards.metricNames("vector(1) + scalar(time())")).isEmpty();
    }
}
