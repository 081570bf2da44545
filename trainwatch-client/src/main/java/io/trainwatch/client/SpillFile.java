package io.trainwatch.client;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32;

/**
 * A bounded first-in first-out queue of records on local disk: the events the publisher could not hand to the
 * broker, kept until it is back. Records are appended to numbered segment files ({@code seg-N.spill}; a new one
 * once a segment reaches {@link #segmentBytes()}) and read back from the oldest one; a segment that has been read
 * to its end is deleted, and once everything is read nothing is left on disk. Each record is {@code [int length]
 * [int CRC-32 of the payload][payload]}; a record whose length is impossible or whose checksum does not match
 * (a process that died mid-write leaves a truncated tail) is skipped and counted, never stops the reader.
 *
 * <p>The read position is kept in a small {@code cursor} file at each {@link #commit()}, so a process that dies
 * leaves its unread records behind for the next one that opens the same directory; that one writes to new
 * segments only (never after a possibly truncated tail). A {@code lock} file held while open keeps two live
 * processes out of one directory: the second takes {@code NAME-1}, {@code NAME-2}, ...
 *
 * <p>Not thread-safe: one thread (the publisher's) appends and reads; {@link #bytesOnDisk()} may be read from
 * any thread.
 *
 * <p>Longer than most classes here: the file format, its writer, its reader with the recovery from damaged
 * records, and the bookkeeping of segments, read position and bound share one set of invariants (what is on disk,
 * what was read, what a later process starts from), which are easier to keep right in one class.
 */
public final class SpillFile implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SpillFile.class.getName());

    /** Length and CRC-32 before each payload. */
    static final int HEADER = 8;
    /** A length above this is taken as corruption (an event is a few hundred bytes). */
    static final int MAX_RECORD = 16 * 1024 * 1024;
    /** The largest segment file (smaller when the whole spill is smaller: a quarter of it). */
    static final long MAX_SEGMENT = 64L * 1024 * 1024;
    /** The default bound: 256 MiB is ~500,000 step events, minutes to hours of a run's steps. */
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;
    private static final String SUFFIX = ".spill";
    private static final int MAX_DIRECTORIES = 100;

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Segment id to its size on disk, oldest first. */
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    private final CRC32 crc = new CRC32();

    private long nextId;
    private long writeId = -1;
    private OutputStream out;
    /** Plain streams and files, not channels: an interrupt of the publisher thread must not close them. */
    private RandomAccessFile readChannel;
    private long readChannelId = -1;
    /** Where the next record is read (may be ahead of the committed position). */
    private long readId;
    private long readPos;
    /** Where the record returned by the last {@link #next()} started (for {@link #unread()}). */
    private long lastId = -1;
    private long lastPos;
    /** The read position of the last {@link #commit()}: what a later process starts from. */
    private long committedId;
    private long committedPos;
    private volatile long bytesOnDisk;
    private long corrupt;
    private final long leftoverBytes;

    private SpillFile(Path dir, long maxBytes, FileChannel lockChannel, FileLock lock) throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(HEADER + 1, Math.min(MAX_SEGMENT, maxBytes / 4));
        this.lockChannel = lockChannel;
        this.lock = lock;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "seg-*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    long id = Long.parseLong(name.substring(4, name.length() - SUFFIX.length()));
                    segments.put(id, Files.size(f));
                } catch (NumberFormatException e) {
                    LOG.warning("ignoring a file that is not a spill segment: " + f);
                }
            }
        }
        nextId = segments.isEmpty() ? 1 : segments.lastKey() + 1;
        readId = segments.isEmpty() ? 0 : segments.firstKey();
        readPos = 0;
        long[] cursor = readCursor();
        if (cursor != null && segments.containsKey(cursor[0])) {
            readId = cursor[0];
            readPos = Math.max(0, cursor[1]);
        }
        deleteSegmentsBefore(readId);
        recount();
        committedId = readId;
        committedPos = readPos;
        leftoverBytes = unreadBytes();
        if (leftoverBytes > 0) {
            LOG.info("spill " + dir + " holds " + leftoverBytes + " bytes of events a previous process did not send:"
                    + " they are sent first");
        } else {
            deleteAll();
        }
    }

    /**
     * Opens (creating it) the spill {@code parent/name}, or {@code name-1}, {@code name-2}, ... when another live
     * publisher holds it, bounded to {@code maxBytes} on disk. Unread records left there by a process that died
     * are read first.
     */
    public static SpillFile open(Path parent, String name, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be > 0");
        }
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            for (int i = 0; i < MAX_DIRECTORIES; i++) {
                Path dir = parent.resolve(i == 0 ? safe : safe + "-" + i);
                Files.createDirectories(dir);
                FileChannel channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by another publisher of this very JVM
                }
                if (lock == null) {
                    channel.close();
                    continue;
                }
                try {
                    return new SpillFile(dir, maxBytes, channel, lock);
                } catch (IOException | RuntimeException e) {
                    lock.release();
                    channel.close();
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the spill under " + parent, e);
        }
        throw new IllegalStateException("every spill directory " + safe + "[-1.." + (MAX_DIRECTORIES - 1)
                + "] under " + parent + " is in use");
    }

    /** The default parent folder of spills: {@code trainwatch-spill} in the system's temporary folder. */
    public static Path defaultParent() {
        return Path.of(System.getProperty("java.io.tmpdir"), "trainwatch-spill");
    }

    /**
     * The directory name of a publisher's spill: its name and a hash of the broker address, so that what a
     * program spilled for one broker is only ever sent to that broker.
     */
    public static String directoryName(String publisher, String bootstrapServers) {
        return publisher + "-" + String.format(Locale.ROOT, "%08x", String.valueOf(bootstrapServers).hashCode());
    }

    /**
     * {@link #open}, or null (logged) when {@code maxBytes} is 0 or less (spilling is off) or the spill cannot be
     * opened: the publisher then drops what the queue cannot hold, as without a spill.
     */
    public static SpillFile openOrNull(Path parent, String name, long maxBytes) {
        if (maxBytes <= 0 || parent == null) {
            return null;
        }
        try {
            return open(parent, name, maxBytes);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "no telemetry spill (events beyond the queue will be dropped): " + e.getMessage());
            return null;
        }
    }

    /**
     * Appends one record; false (nothing written) when it would take the spill past its size, or the disk
     * refused it.
     */
    public boolean append(byte[] payload) {
        long size = HEADER + (long) payload.length;
        if (payload.length > MAX_RECORD || bytesOnDisk + size > maxBytes) {
            return false;
        }
        try {
            long written = writeId < 0 ? 0 : segments.get(writeId);
            if (writeId < 0 || written > 0 && written + size > segmentBytes) {
                roll();
                written = 0;
            }
            crc.reset();
            crc.update(payload);
            ByteBuffer header = ByteBuffer.allocate(HEADER).putInt(payload.length).putInt((int) crc.getValue());
            out.write(header.array());
            out.write(payload);
            segments.put(writeId, written + size);
            bytesOnDisk += size;
            return true;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write to the spill " + dir + ": " + e);
            return false;
        }
    }

    /** Hands what was appended to the operating system (it survives the death of this process). */
    public void flush() {
        if (out != null) {
            try {
                out.flush();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot write to the spill " + dir + ": " + e);
            }
        }
    }

    /** The oldest unread record, or null when all was read. Skips (and counts) corrupt records. */
    public byte[] next() {
        lastId = -1;
        while (!segments.isEmpty()) {
            if (!segments.containsKey(readId)) {
                Long later = segments.ceilingKey(readId);
                if (later == null) {
                    return null;
                }
                readId = later;
                readPos = 0;
            }
            if (readId == writeId) {
                flush();
            }
            long size = segments.get(readId);
            if (readPos >= size) {
                Long later = segments.higherKey(readId);
                if (later == null) {
                    return null;
                }
                readId = later;
                readPos = 0;
                continue;
            }
            try {
                RandomAccessFile ch = readChannel(readId);
                ByteBuffer header = ByteBuffer.allocate(HEADER);
                if (size - readPos < HEADER || readFully(ch, header, readPos) < HEADER) {
                    skipRestOfSegment("a truncated record header", size);
                    continue;
                }
                header.flip();
                int length = header.getInt();
                int expected = header.getInt();
                if (length < 0 || length > MAX_RECORD || length > size - readPos - HEADER) {
                    skipRestOfSegment("a record of impossible length " + length, size);
                    continue;
                }
                ByteBuffer payload = ByteBuffer.allocate(length);
                if (readFully(ch, payload, readPos + HEADER) < length) {
                    skipRestOfSegment("a truncated record", size);
                    continue;
                }
                long start = readPos;
                readPos += HEADER + length;
                crc.reset();
                crc.update(payload.array());
                if ((int) crc.getValue() != expected) {
                    countCorrupt("a record whose checksum does not match (" + length + " bytes skipped)", start);
                    continue;
                }
                lastId = readId;
                lastPos = start;
                return payload.array();
            } catch (IOException e) {
                skipRestOfSegment("an unreadable segment (" + e + ")", size);
            }
        }
        return null;
    }

    /** Steps back over the record the last {@link #next()} returned (it will be returned again). */
    public void unread() {
        if (lastId < 0) {
            throw new IllegalStateException("nothing to unread");
        }
        readId = lastId;
        readPos = lastPos;
        lastId = -1;
    }

    /**
     * Makes the reads so far final: deletes the segments read to their end (everything, once all is read) and
     * records the read position for a process that opens this spill after this one died.
     */
    public void commit() {
        lastId = -1;
        deleteSegmentsBefore(readId);
        committedId = readId;
        committedPos = readPos;
        if (unreadBytes() == 0) {
            deleteAll();
            return;
        }
        writeCursor();
    }

    private void writeCursor() {
        try {
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve("cursor").toFile(), "rw")) {
                f.writeLong(readId);
                f.writeLong(readPos);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write the spill's read position in " + dir + ": " + e);
        }
    }

    /** True when every record appended (or left by a previous process) has been read. */
    public boolean isEmpty() {
        return unreadBytes() == 0;
    }

    /** The bytes of all segment files now (read or not: a segment is deleted once read to its end). */
    public long bytesOnDisk() {
        return bytesOnDisk;
    }

    /** The bytes of unread records (header included), as the segments stand now. */
    public long unreadBytes() {
        long n = 0;
        for (var e : segments.tailMap(readId, true).entrySet()) {
            n += e.getKey() == readId ? Math.max(0, e.getValue() - readPos) : e.getValue();
        }
        return n;
    }

    /** Corrupt or truncated records skipped since this spill was opened. */
    public long corruptRecords() {
        return corrupt;
    }

    /** What a previous process left unread when this one opened the spill, in bytes. */
    public long leftoverBytes() {
        return leftoverBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long segmentBytes() {
        return segmentBytes;
    }

    public Path directory() {
        return dir;
    }

    /** Writes out what was appended and lets go of the directory; unread records stay for the next process. */
    @Override
    public void close() {
        flush();
        closeQuietly(out);
        out = null;
        writeId = -1;
        closeReadChannel();
        readId = committedId; // what was read and not committed is read again by the next process
        readPos = committedPos;
        boolean empty = unreadBytes() == 0;
        if (empty) {
            deleteAll();
        } else {
            writeCursor();
            LOG.warning("spill " + dir + " keeps " + unreadBytes() + " bytes of unsent events: the next publisher"
                    + " that opens it sends them");
        }
        try {
            lock.release();
            lockChannel.close();
            if (empty) {
                Files.deleteIfExists(dir.resolve("lock"));
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            // another publisher took it meanwhile, or a file was left: harmless
        }
    }

    private void roll() throws IOException {
        if (out != null) {
            out.close();
        }
        writeId = nextId++;
        Path f = segment(writeId);
        if (Files.exists(f)) {
            throw new IOException(f + " exists already");
        }
        out = new BufferedOutputStream(new FileOutputStream(f.toFile()), 64 * 1024);
        segments.put(writeId, 0L);
    }

    private RandomAccessFile readChannel(long id) throws IOException {
        if (readChannelId != id) {
            closeReadChannel();
            readChannel = new RandomAccessFile(segment(id).toFile(), "r");
            readChannelId = id;
        }
        return readChannel;
    }

    private static int readFully(RandomAccessFile file, ByteBuffer into, long position) throws IOException {
        file.seek(position);
        byte[] a = into.array();
        int total = 0;
        while (total < a.length) {
            int n = file.read(a, total, a.length - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        into.position(total);
        return total;
    }

    private void skipRestOfSegment(String what, long size) {
        countCorrupt(what + "; the rest of the segment (" + (size - readPos) + " bytes) is skipped", readPos);
        readPos = size;
    }

    private void countCorrupt(String what, long position) {
        corrupt++;
        LOG.warning("spill " + segment(readId) + " at byte " + position + ": " + what);
    }

    private void deleteSegmentsBefore(long id) {
        while (!segments.isEmpty() && segments.firstKey() < id) {
            long first = segments.firstKey();
            if (first == writeId) {
                break;
            }
            delete(first);
        }
    }

    private void deleteAll() {
        closeQuietly(out);
        out = null;
        writeId = -1;
        closeReadChannel();
        for (Long id : new ArrayList<>(segments.keySet())) {
            delete(id);
        }
        readId = nextId;
        readPos = 0;
        committedId = readId;
        committedPos = 0;
        try {
            Files.deleteIfExists(dir.resolve("cursor"));
        } catch (IOException e) {
            LOG.fine("cannot delete " + dir.resolve("cursor") + ": " + e);
        }
    }

    private void delete(long id) {
        if (id == readChannelId) {
            closeReadChannel();
        }
        segments.remove(id);
        try {
            Files.deleteIfExists(segment(id));
        } catch (IOException e) {
            LOG.warning("cannot delete the spill segment " + segment(id) + ": " + e);
        }
        recount();
    }

    private void recount() {
        long n = 0;
        for (long s : segments.values()) {
            n += s;
        }
        bytesOnDisk = n;
    }

    private long[] readCursor() {
        Path f = dir.resolve("cursor");
        try {
            if (!Files.exists(f)) {
                return null;
            }
            byte[] b = Files.readAllBytes(f);
            if (b.length < 16) {
                return null;
            }
            ByteBuffer buf = ByteBuffer.wrap(b);
            return new long[] {buf.getLong(), buf.getLong()};
        } catch (IOException e) {
            return null;
        }
    }

    private Path segment(long id) {
        return dir.resolve(String.format(Locale.ROOT, "seg-%016d%s", id, SUFFIX));
    }

    private void closeReadChannel() {
        closeQuietly(readChannel);
        readChannel = null;
        readChannelId = -1;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing to do
            }
        }
    }

    /** The segment files now, oldest first (tests). */
    List<Path> segmentFiles() {
        List<Path> files = new ArrayList<>();
        for (long id : segments.keySet()) {
            files.add(segment(id));
        }
        return files;
    }
}
