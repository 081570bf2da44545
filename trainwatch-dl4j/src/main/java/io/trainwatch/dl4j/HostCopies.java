package io.trainwatch.dl4j;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * Copies ND4J arrays into reused heap arrays with one bulk copy from native memory where it can (a float array
 * on the CPU backend), and counts the copies that had to take the slow, general path. ND4J's
 * {@code toFloatMatrix()} costs ~600 us for a 32x64 matrix and {@code DataBuffer.asFloat()} copies element by
 * element: they are only the fallback. Not thread-safe (the training thread only).
 */
final class HostCopies {

    /** Bulk copies read host memory directly: only on the CPU backend (CUDA buffers may be stale on the host). */
    private static final boolean HOST_BUFFERS =
            !Nd4j.getBackend().getClass().getSimpleName().toLowerCase().contains("cuda");

    /** How many copies took the slow, general path (0 on the CPU backend: asserted by the tests). */
    private long slowCopies;

    /** How many array copies so far could not use the bulk copy from native memory. */
    long slowCopies() {
        return slowCopies;
    }

    /** Copies the flat vector {@code array} into {@code into}; false when its length is not {@code length}. */
    boolean copyFlat(INDArray array, float[] into, int length) {
        if (array == null || array.length() != length) {
            return false;
        }
        if (array.dataType() == DataType.FLOAT && array.offset() == 0 && array.elementWiseStride() == 1
                && bulkCopy(array.data(), 0, into, length)) {
            return true;
        }
        slowCopies++;
        float[] v = array.reshape(array.length()).toFloatVector();
        System.arraycopy(v, 0, into, 0, length);
        return true;
    }

    /** Copies a rows x cols matrix into {@code into} in row-major order; false when it cannot. */
    boolean copyMatrix(INDArray m, float[] into, int rows, int cols) {
        long s0 = m.stride(0);
        long s1 = m.stride(1);
        long span = (rows - 1) * s0 + (cols - 1) * s1 + 1;
        if (m.dataType() == DataType.FLOAT && s0 > 0 && s1 > 0 && span <= Integer.MAX_VALUE && m.offset() >= 0) {
            if (s1 == 1 && s0 == cols) {
                if (bulkCopy(m.data(), m.offset(), into, rows * cols)) {
                    return true;
                }
            } else {
                float[] raw = new float[(int) span];
                if (bulkCopy(m.data(), m.offset(), raw, (int) span)) {
                    for (int i = 0; i < rows; i++) {
                        for (int k = 0; k < cols; k++) {
                            into[i * cols + k] = raw[(int) (i * s0 + k * s1)];
                        }
                    }
                    return true;
                }
            }
        }
        // Slow but general (views of other types or layouts): ~0.6 ms for 32x64.
        slowCopies++;
        float[][] f = m.toFloatMatrix();
        for (int i = 0; i < rows; i++) {
            System.arraycopy(f[i], 0, into, i * cols, cols);
        }
        return true;
    }

    /** One bulk copy of {@code n} floats from a native buffer, starting at element {@code from}. */
    private static boolean bulkCopy(DataBuffer data, long from, float[] into, int n) {
        if (!HOST_BUFFERS || data == null || data.offset() != 0 || data.dataType() != DataType.FLOAT
                || from + n > data.length()) {
            return false;
        }
        try {
            FloatBuffer fb = data.asNioFloat();
            if (fb == null || fb.position() != 0 || fb.limit() < from + n) {
                return false;
            }
            fb.position((int) from);
            fb.get(into, 0, n);
            return true;
        } catch (RuntimeException e) {
            return false; // a backend without host-visible memory: the caller falls back
        }
    }
}
