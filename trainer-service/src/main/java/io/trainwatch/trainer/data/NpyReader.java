package io.trainwatch.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a NumPy {@code .npy} file (format versions 1.0, 2.0 and 3.0, as specified in NumPy's
 * {@code numpy.lib.format} documentation): the magic {@code \x93NUMPY}, the version, the little-endian
 * header length (2 bytes in 1.0, 4 bytes after), then a Python dict literal with {@code descr},
 * {@code fortran_order} and {@code shape}, then the raw array. Accepts C-order arrays of little-endian (or
 * single-byte) floats ({@code f4}, {@code f8}), signed ({@code i1}..{@code i8}) and unsigned ({@code u1}..
 * {@code u8}) integers and booleans; every value is returned as a double, in C order.
 */
public final class NpyReader {

    /** The largest file read: 1 GiB. */
    public static final long MAX_BYTES = 1L << 30;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {
    }

    /**
     * An array read from a {@code .npy} file.
     *
     * @param shape  the dimensions, outermost first ({@code []} for a scalar)
     * @param dtype  the element type as NumPy names it without byte order, e.g. {@code f4}, {@code i8}
     * @param values every element, in C (row-major) order
     */
    public record NpyArray(long[] shape, String dtype, double[] values) {

        /** The number of elements: the product of the shape. */
        public long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** The header of a file: shape and element type, without reading the data. */
    public record Header(long[] shape, char kind, int itemSize, String dtype, int dataOffset) {
    }

    /** Reads a whole file; an {@link IOException} or {@link IllegalArgumentException} says what is wrong. */
    public static NpyArray read(Path path) throws IOException {
        if (Files.size(path) > MAX_BYTES) {
            throw new IllegalArgumentException("file is over " + (MAX_BYTES >> 20) + " MiB");
        }
        return parse(Files.readAllBytes(path));
    }

    /** Reads only the header of a file. */
    public static Header readHeader(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(12);
            int len = headerLength(head);
            byte[] all = new byte[len];
            System.arraycopy(head, 0, all, 0, Math.min(head.length, len));
            if (len > head.length) {
                byte[] rest = in.readNBytes(len - head.length);
                System.arraycopy(rest, 0, all, head.length, rest.length);
                if (rest.length < len - head.length) {
                    throw new IllegalArgumentException("the header is cut short");
                }
            }
            return header(all);
        }
    }

    /** Parses the bytes of a {@code .npy} file. */
    public static NpyArray parse(byte[] bytes) {
        Header h = header(bytes);
        long n = 1;
        for (long d : h.shape()) {
            n *= d;
        }
        long need = h.dataOffset() + n * h.itemSize();
        if (n > Integer.MAX_VALUE || need > bytes.length) {
            throw new IllegalArgumentException("the data is cut short: shape " + java.util.Arrays.toString(h.shape())
                    + " of " + h.dtype() + " needs " + n * h.itemSize() + " bytes, the file has "
                    + Math.max(0, bytes.length - h.dataOffset()));
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes, h.dataOffset(), (int) (n * h.itemSize())).order(ByteOrder.LITTLE_ENDIAN);
        double[] values = new double[(int) n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (h.kind()) {
                case 'f' -> h.itemSize() == 4 ? buf.getFloat() : buf.getDouble();
                case 'b' -> buf.get() != 0 ? 1 : 0;
                case 'i' -> switch (h.itemSize()) {
                    case 1 -> buf.get();
                    case 2 -> buf.getShort();
                    case 4 -> buf.getInt();
                    default -> (double) buf.getLong();
                };
                default -> switch (h.itemSize()) { // 'u'
                    case 1 -> buf.get() & 0xFF;
                    case 2 -> buf.getShort() & 0xFFFF;
                    case 4 -> buf.getInt() & 0xFFFFFFFFL;
                    default -> unsignedLong(buf.getLong());
                };
            };
        }
        return new NpyArray(h.shape(), h.dtype(), values);
    }

    private static double unsignedLong(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    private static int headerLength(byte[] b) {
        if (b.length < 10) {
            throw new IllegalArgumentException("not a .npy file: too short");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                throw new IllegalArgumentException("not a .npy file: it does not start with \\x93NUMPY");
            }
        }
        int major = b[6] & 0xFF;
        if (major == 1) {
            return 10 + ((b[8] & 0xFF) | (b[9] & 0xFF) << 8);
        }
        if (major == 2 || major == 3) {
            if (b.length < 12) {
                throw new IllegalArgumentException("not a .npy file: too short");
            }
            long len = (b[8] & 0xFFL) | (b[9] & 0xFFL) << 8 | (b[10] & 0xFFL) << 16 | (b[11] & 0xFFL) << 24;
            if (len > 1 << 20) {
                throw new IllegalArgumentException("header of " + len + " bytes is too long");
            }
            return 12 + (int) len;
        }
        throw new IllegalArgumentException("unsupported .npy format version " + major + "." + (b[7] & 0xFF));
    }

    static Header header(byte[] b) {
        int offset = headerLength(b);
        if (offset > b.length) {
            throw new IllegalArgumentException("the header is cut short");
        }
        int start = (b[6] & 0xFF) == 1 ? 10 : 12;
        // Version 3.0 allows UTF-8 in the header (field names of structured types); 1.0 and 2.0 are latin1.
        String dict = new String(b, start, offset - start,
                (b[6] & 0xFF) == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(dict);
        Matcher f = FORTRAN.matcher(dict);
        Matcher s = SHAPE.matcher(dict);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IllegalArgumentException("the header is not a dict with descr, fortran_order and shape: " + dict.trim());
        }
        if (f.group(1).equals("True")) {
            throw new IllegalArgumentException("fortran_order arrays are not supported: save a C-order array "
                    + "(numpy.ascontiguousarray)");
        }
        String descr = d.group(1);
        if (descr.length() < 3) {
            throw new IllegalArgumentException("unsupported dtype '" + descr + "'");
        }
        char order = descr.charAt(0);
        char kind = descr.charAt(1);
        int size;
        try {
            size = Integer.parseInt(descr.substring(2));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unsupported dtype '" + descr + "'");
        }
        boolean ok = switch (kind) {
            case 'f' -> size == 4 || size == 8;
            case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
            case 'b' -> size == 1;
            default -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException("unsupported dtype '" + descr + "': float32/64, int8-64, uint8-64 or bool");
        }
        if (order == '>' && size > 1) {
            throw new IllegalArgumentException("big-endian dtype '" + descr + "' is not supported: save with '<'");
        }
        if (order != '<' && order != '|' && order != '=' && order != '>') {
            throw new IllegalArgumentException("unsupported dtype '" + descr + "'");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            p = p.endsWith("L") ? p.substring(0, p.length() - 1) : p;
            try {
                long v = Long.parseLong(p);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                dims.add(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad shape (" + s.group(1) + ")");
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        return new Header(shape, kind, size, String.valueOf(kind) + size, offset);
    }
}
