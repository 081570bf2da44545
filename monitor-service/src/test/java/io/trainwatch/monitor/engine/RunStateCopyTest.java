package io.trainwatch.monitor.engine;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RunState#copyFrom} copies every field: a field added later and not copied fails here. */
class RunStateCopyTest {

    @Test
    void copiesEveryField() throws Exception {
        RunState source = new RunState("run-a");
        int n = 1;
        List<Field> fields = new ArrayList<>();
        for (Field f : RunState.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            fields.add(f);
            Class<?> t = f.getType();
            n++;
            if (t == double.class) {
                f.setDouble(source, n + 0.25);
            } else if (t == long.class) {
                f.setLong(source, 1000L + n);
            } else if (t == int.class) {
                f.setInt(source, 100 + n);
            } else if (t == byte.class) {
                f.setByte(source, (byte) n);
            } else if (t == boolean.class) {
                f.setBoolean(source, true);
            } else if (t == String.class) {
                f.set(source, "s" + n);
            } else if (t == float[].class) {
                float[] a = (float[]) f.get(source);
                for (int i = 0; i < a.length; i++) {
                    a[i] = n + i;
                }
            } else if (t == long[].class) {
                long[] a = (long[]) f.get(source);
                for (int i = 0; i < a.length; i++) {
                    a[i] = n * 10L + i;
                }
            } else if (t == byte[].class) {
                byte[] a = (byte[]) f.get(source);
                for (int i = 0; i < a.length; i++) {
                    a[i] = (byte) (n + i);
                }
            } else {
                throw new AssertionError("a field type this test does not fill: " + f);
            }
        }
        RunState copy = new RunState("run-b");
        copy.copyFrom(source);
        for (Field f : fields) {
            Object a = f.get(source);
            Object b = f.get(copy);
            if (a instanceof float[] x) {
                assertThat((float[]) b).as(f.getName()).containsExactly(x).isNotSameAs(x);
            } else if (a instanceof long[] x) {
                assertThat((long[]) b).as(f.getName()).containsExactly(x).isNotSameAs(x);
            } else if (a instanceof byte[] x) {
                assertThat((byte[]) b).as(f.getName()).containsExactly(x).isNotSameAs(x);
            } else {
                assertThat(b).as(f.getName()).isEqualTo(a);
            }
        }
        assertThat(RunStateCodec.write(copy)).isEqualTo(RunStateCodec.write(source));
    }
}
