package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.regex.Pattern;

import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static io.trainwatch.monitor.notify.TestAlerts.resolved;
import static io.trainwatch.monitor.notify.TestAlerts.withStudy;
import static org.assertj.core.api.Assertions.assertThat;

class ChannelRouteTest {

    @Test
    void minimumSeverityIsInclusive() {
        ChannelRoute r = new ChannelRoute(Severity.WARNING, Set.of(), null, null);
        assertThat(r.matches(firing("r1", "plateau", Alert.INFO, 1))).isFalse();
        assertThat(r.matches(firing("r1", "plateau", Alert.WARNING, 1))).isTrue();
        assertThat(r.matches(firing("r1", "plateau", Alert.CRITICAL, 1))).isTrue();
    }

    @Test
    void resolvedAlertsFollowTheSameRouteAsTheirFiring() {
        ChannelRoute r = new ChannelRoute(Severity.CRITICAL, Set.of("divergence"), null, null);
        Alert a = firing("r1", "divergence", Alert.CRITICAL, 1);
        assertThat(r.matches(a)).isTrue();
        assertThat(r.matches(resolved(a))).isTrue();
    }

    @Test
    void detectorsListRestrictsAndEmptyMeansAll() {
        ChannelRoute r = new ChannelRoute(Severity.INFO, Set.of("plateau", "divergence"), null, null);
        assertThat(r.matches(firing("r1", "plateau", 1))).isTrue();
        assertThat(r.matches(firing("r1", "overfitting", 1))).isFalse();
        assertThat(ChannelRoute.ALL.matches(firing("r1", "a-detector-from-the-future", 1))).isTrue();
    }

    @Test
    void runRegexMustMatchTheWholeRunId() {
        ChannelRoute r = new ChannelRoute(Severity.INFO, Set.of(), Pattern.compile("prod-.*"), null);
        assertThat(r.matches(firing("prod-42", "plateau", 1))).isTrue();
        assertThat(r.matches(firing("dev-prod-42", "plateau", 1))).isFalse();
    }

    @Test
    void studyRegexNeedsAStudy() {
        ChannelRoute r = new ChannelRoute(Severity.INFO, Set.of(), null, Pattern.compile("s-\\d+"));
        assertThat(r.matches(firing("r1", "plateau", 1))).isFalse();
        assertThat(r.matches(withStudy(firing("r1", "plateau", 1), "s-7", "t-1"))).isTrue();
        assertThat(r.matches(withStudy(firing("r1", "plateau", 1), "s-x", "t-1"))).isFalse();
    }

    @Test
    void severityParsingIsLenientAndUnknownAlertSeveritiesCountAsCritical() {
        assertThat(Severity.parse(" Warning ")).contains(Severity.WARNING);
        assertThat(Severity.parse("fatal")).isEmpty();
        assertThat(Severity.parse(null)).isEmpty();
        assertThat(Platform.parse("MSTeams")).contains(Platform.TEAMS);
        assertThat(Platform.parse("Slack")).contains(Platform.SLACK);
        assertThat(Platform.parse("irc")).isEmpty();
    }
}
