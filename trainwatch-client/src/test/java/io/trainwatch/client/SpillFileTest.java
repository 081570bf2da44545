package io.trainwatch.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpillFileTest {

    @TempDir
    Path parent;

    private static byte[] rec(int i) {
        return ("event-" + i + "-" + "x".repeat(i % 7)).getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> readAll(SpillFile spill) {
        List<String> out = new ArrayList<>();
        byte[] r;
        while ((r = spill.next()) != null) {
            out.add(new String(r, StandardCharsets.UTF_8));
        }
        spill.commit();
        return out;
    }

    private static List<String> expected(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(new String(rec(i), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void recordsComeBackInOrderAcrossSegmentsAndNothingIsLeftOnceRead() throws Exception {
        try (SpillFile spill = SpillFile.open(parent, "p", 40_000)) { // segments of 10,000 bytes
            for (int i = 0; i < 1000; i++) {
                assertThat(spill.append(rec(i))).isTrue();
            }
            assertThat(spill.segmentFiles()).hasSizeGreaterThan(2);
            assertThat(spill.isEmpty()).isFalse();
            assertThat(readAll(spill)).isEqualTo(expected(0, 1000));
            assertThat(spill.isEmpty()).isTrue();
            assertThat(spill.bytesOnDisk()).isZero();
            try (var files = Files.list(spill.directory())) {
                assertThat(files.map(f -> f.getFileName().toString())).containsExactly("lock");
            }
        }
        assertThat(parent.resolve("p")).doesNotExist();
    }

    @Test
    void readsAndAppendsInterleaveAndSegmentsReadToTheirEndAreDeleted() {
        try (SpillFile spill = SpillFile.open(parent, "p", 40_000)) {
            int written = 0;
            List<String> got = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 200; i++) {
                    spill.append(rec(written++));
                }
                for (int i = 0; i < 150; i++) {
                    got.add(new String(spill.next(), StandardCharsets.UTF_8));
                }
                spill.commit();
                assertThat(spill.bytesOnDisk()).as("read segments are deleted").isLessThanOrEqualTo(40_000);
            }
            got.addAll(readAll(spill));
            assertThat(got).isEqualTo(expected(0, written));
            assertThat(spill.bytesOnDisk()).isZero();
        }
    }

    @Test
    void theBoundIsKeptAndWhatDoesNotFitIsRefused() {
        try (SpillFile spill = SpillFile.open(parent, "p", 1_000)) {
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < 200; i++) {
                if (spill.append(rec(1))) { // 9 bytes + 8 of header = 17 bytes
                    accepted++;
                } else {
                    refused++;
                }
            }
            assertThat(accepted).isEqualTo(1_000 / (SpillFile.HEADER + rec(1).length));
            assertThat(refused).isEqualTo(200 - accepted);
            assertThat(spill.bytesOnDisk()).isLessThanOrEqualTo(1_000);
            assertThat(readAll(spill)).hasSize(accepted);
            assertThat(spill.append(rec(1))).as("room again once read").isTrue();
        }
    }

    @Test
    void unreadReturnsTheSameRecordAgain() {
        try (SpillFile spill = SpillFile.open(parent, "p", 10_000)) {
            spill.append(rec(0));
            spill.append(rec(1));
            assertThat(spill.next()).isEqualTo(rec(0));
            spill.unread();
            assertThat(spill.next()).isEqualTo(rec(0));
            assertThat(spill.next()).isEqualTo(rec(1));
            assertThat(spill.next()).isNull();
            assertThatThrownBy(spill::unread).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aTruncatedTailIsSkippedAndCountedAndTheNextProcessWritesAfterIt() throws Exception {
        Path dir;
        Path segment;
        try (SpillFile spill = SpillFile.open(parent, "p", 100_000)) {
            for (int i = 0; i < 10; i++) {
                spill.append(rec(i));
            }
            spill.flush();
            dir = spill.directory();
            segment = spill.segmentFiles().get(0);
            // A process that dies mid-write: the last record loses its last bytes. Simulated after close below.
        }
        assertThat(segment).exists();
        long size = Files.size(segment);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(size - 3);
        }
        try (SpillFile spill = SpillFile.open(parent, "p", 100_000)) {
            assertThat(spill.directory()).isEqualTo(dir);
            assertThat(spill.leftoverBytes()).isEqualTo(size - 3);
            spill.append(rec(100)); // a new segment: never after the truncated tail
            assertThat(spill.segmentFiles()).hasSize(2);
            List<String> got = readAll(spill);
            List<String> want = expected(0, 9);
            want.add(new String(rec(100), StandardCharsets.UTF_8));
            assertThat(got).isEqualTo(want);
            assertThat(spill.corruptRecords()).isEqualTo(1);
        }
    }

    @Test
    void aRecordWithABadChecksumIsSkippedAndTheRestIsRead() throws Exception {
        Path segment;
        try (SpillFile spill = SpillFile.open(parent, "p", 100_000)) {
            for (int i = 0; i < 5; i++) {
                spill.append(rec(i));
            }
            spill.flush();
            segment = spill.segmentFiles().get(0);
        }
        // Flip a byte in the payload of the third record.
        long third = 2L * SpillFile.HEADER + rec(0).length + rec(1).length;
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.seek(third + SpillFile.HEADER + 1);
            int b = f.read();
            f.seek(third + SpillFile.HEADER + 1);
            f.write(b ^ 0x55);
        }
        // An impossible length at the start of the next one is past saving: the rest of its segment is skipped.
        try (SpillFile spill = SpillFile.open(parent, "p", 100_000)) {
            List<String> got = readAll(spill);
            assertThat(got).containsExactly("event-0-", "event-1-x", "event-3-xxx", "event-4-xxxx");
            assertThat(spill.corruptRecords()).isEqualTo(1);
        }
        try (SpillFile spill = SpillFile.open(parent, "p", 100_000)) {
            spill.append(rec(0));
            spill.flush();
            segment = spill.segmentFiles().get(0);
        }
        Files.write(segment, new byte[] {0x7f, 0, 0, 0, 1, 2, 3, 4, 5}, StandardOpenOption.APPEND);
        try (SpillFile spill = SpillFile.open(parent, "p", 100_000)) {
            assertThat(readAll(spill)).containsExactly("event-0-");
            assertThat(spill.corruptRecords()).isEqualTo(1);
        }
    }

    @Test
    void leftoversOfADeadProcessAreReadFromWhereItHadCommitted() throws Exception {
        try (SpillFile spill = SpillFile.open(parent, "p", 40_000)) {
            for (int i = 0; i < 1000; i++) {
                spill.append(rec(i));
            }
            for (int i = 0; i < 600; i++) {
                spill.next();
            }
            spill.commit();
            spill.next(); // read but not committed: read again by the next process
        } // close keeps what was not committed
        try (SpillFile spill = SpillFile.open(parent, "p", 40_000)) {
            assertThat(spill.isEmpty()).isFalse();
            assertThat(spill.leftoverBytes()).isPositive();
            spill.append(rec(5000));
            List<String> want = expected(600, 1000);
            want.add(new String(rec(5000), StandardCharsets.UTF_8));
            assertThat(readAll(spill)).isEqualTo(want);
        }
        assertThat(parent.resolve("p")).doesNotExist();
    }

    @Test
    void aSecondLivePublisherTakesAnotherDirectory() {
        try (SpillFile a = SpillFile.open(parent, "p", 10_000);
             SpillFile b = SpillFile.open(parent, "p", 10_000)) {
            assertThat(a.directory().getFileName().toString()).isEqualTo("p");
            assertThat(b.directory().getFileName().toString()).isEqualTo("p-1");
            a.append(rec(1));
            assertThat(b.next()).isNull();
        }
    }

    @Test
    void aZeroSizeMeansNoSpillAndTheDirectoryNameDependsOnTheBroker() {
        assertThat(SpillFile.openOrNull(parent, "p", 0)).isNull();
        assertThat(SpillFile.directoryName("c", "a:1")).isNotEqualTo(SpillFile.directoryName("c", "b:1"))
                .startsWith("c-");
    }
}
