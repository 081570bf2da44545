package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.trainwatch.monitor.notify.TestAlerts.T0;
import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static org.assertj.core.api.Assertions.assertThat;

class OutboxTest {

    private static Outbox.Entry message(String run, String severity) {
        return Outbox.Entry.of(new Notification("ops", run, false, List.of(firing(run, "plateau", severity, 10)), List.of()), T0);
    }

    @Test
    void keepsOrderAndDropsTheOldestNonCriticalFirstWhenFull() {
        Outbox box = new Outbox(3);
        Outbox.Entry c1 = message("c1", Alert.CRITICAL);
        Outbox.Entry w1 = message("w1", Alert.WARNING);
        Outbox.Entry c2 = message("c2", Alert.CRITICAL);
        assertThat(box.add(c1)).isEmpty();
        assertThat(box.add(w1)).isEmpty();
        assertThat(box.add(c2)).isEmpty();
        assertThat(box.add(message("w2", Alert.WARNING))).contains(w1);
        assertThat(box.size()).isEqualTo(3);
        assertThat(box.head()).contains(c1);
        box.removeHead();
        assertThat(box.head()).contains(c2);
    }

    @Test
    void dropsTheOldestCriticalWhenEverythingIsCritical() {
        Outbox box = new Outbox(2);
        Outbox.Entry c1 = message("c1", Alert.CRITICAL);
        box.add(c1);
        box.add(message("c2", Alert.CRITICAL));
        assertThat(box.add(message("c3", Alert.CRITICAL))).contains(c1);
        assertThat(box.head().orElseThrow().notification.groupKey()).isEqualTo("c2");
    }

    @Test
    void theNextAttemptIsTheHeadsSchedule() {
        Outbox box = new Outbox(2);
        assertThat(box.nextAttempt()).isEmpty();
        Outbox.Entry e = message("r", Alert.INFO);
        box.add(e);
        e.notBefore = T0.plusSeconds(30);
        assertThat(box.nextAttempt()).contains(T0.plusSeconds(30));
    }
}
