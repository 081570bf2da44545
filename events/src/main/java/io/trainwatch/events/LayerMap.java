package io.trainwatch.events;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The immutable, ordered map of a step's per-layer values (input layer first), held in two arrays.
 *
 * <p>Every step event carries up to three of these; the monitor reads them once per event. Against the
 * {@code unmodifiableMap(new LinkedHashMap<>(...))} it replaces, it costs one copy instead of two when a
 * message is decoded, no entry objects, and gives the first and last layer in O(1). Keys are unique and
 * non-null; values may be null (as in the map it is built from). Lookups by key scan the keys while there are
 * few of them; wider networks get an index when the map is built.
 */
public final class LayerMap extends AbstractMap<String, Double> {

    private static final LayerMap EMPTY = new LayerMap(new String[0], new Double[0], 0, null);
    /** Up to this many layers, {@link #get} scans the keys: cheaper than hashing for a small net. */
    private static final int SCAN_LIMIT = 12;

    private final String[] keys;
    private final Double[] values;
    private final int size;
    /** Position by name, for more than {@link #SCAN_LIMIT} layers (null otherwise); final, so safely published. */
    private final Map<String, Integer> index;

    private LayerMap(String[] keys, Double[] values, int size, Map<String, Integer> index) {
        this.keys = keys;
        this.values = values;
        this.size = size;
        this.index = size > SCAN_LIMIT ? (index != null ? index : indexOf(keys, size)) : null;
    }

    private static Map<String, Integer> indexOf(String[] keys, int size) {
        Map<String, Integer> idx = new HashMap<>(size * 2);
        for (int i = 0; i < size; i++) {
            idx.put(keys[i], i);
        }
        return idx;
    }

    /** The map itself when it is a {@code LayerMap}, else an ordered copy; null stays null. */
    public static LayerMap copyOf(Map<String, Double> map) {
        if (map == null) {
            return null;
        }
        if (map instanceof LayerMap layers) {
            return layers;
        }
        int n = map.size();
        if (n == 0) {
            return EMPTY;
        }
        String[] keys = new String[n];
        Double[] values = new Double[n];
        int i = 0;
        for (Map.Entry<String, Double> entry : map.entrySet()) {
            keys[i] = Objects.requireNonNull(entry.getKey(), "layer name");
            values[i] = entry.getValue();
            i++;
        }
        return new LayerMap(keys, values, i, null);
    }

    /** Collects a decoded map in order, without the copy a {@link java.util.LinkedHashMap} would need. */
    static final class Builder {
        private String[] keys = new String[8];
        private Double[] values = new Double[8];
        private int size;
        /** Built once there are more than {@link #SCAN_LIMIT} names: a 64 KiB message can name ~9,000 layers. */
        private Map<String, Integer> index;

        /** Adds a layer; false (and nothing added) when the name is already there. */
        boolean add(String key, Double value) {
            Objects.requireNonNull(key, "layer name");
            if (index != null) {
                if (index.putIfAbsent(key, size) != null) {
                    return false;
                }
            } else {
                for (int i = 0; i < size; i++) {
                    if (keys[i].equals(key)) {
                        return false;
                    }
                }
                if (size == SCAN_LIMIT) {
                    index = indexOf(keys, size);
                    index.put(key, size);
                }
            }
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            keys[size] = key;
            values[size] = value;
            size++;
            return true;
        }

        LayerMap build() {
            return size == 0 ? EMPTY : new LayerMap(keys, values, size, index);
        }
    }

    /** The input-side layer's value (null when absent or empty). */
    public Double first() {
        return size == 0 ? null : values[0];
    }

    /** The output-side layer's value (null when absent or empty). */
    public Double last() {
        return size == 0 ? null : values[size - 1];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public Double get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : values[i];
    }

    private int indexOf(Object key) {
        if (!(key instanceof String)) {
            return -1;
        }
        if (index == null) {
            for (int i = 0; i < size; i++) {
                if (keys[i].equals(key)) {
                    return i;
                }
            }
            return -1;
        }
        Integer i = index.get(key);
        return i == null ? -1 : i;
    }

    @Override
    public Collection<Double> values() {
        return new AbstractCollection<>() {
            @Override
            public Iterator<Double> iterator() {
                return new Cursor<>() {
                    @Override
                    Double at(int i) {
                        return values[i];
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    @Override
    public Set<String> keySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<String> iterator() {
                return new Cursor<>() {
                    @Override
                    String at(int i) {
                        return keys[i];
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public boolean contains(Object o) {
                return indexOf(o) >= 0;
            }
        };
    }

    @Override
    public Set<Entry<String, Double>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Double>> iterator() {
                return new Cursor<>() {
                    @Override
                    Entry<String, Double> at(int i) {
                        return new SimpleImmutableEntry<>(keys[i], values[i]);
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    /** A read-only iterator over positions 0..size-1. */
    private abstract class Cursor<T> implements Iterator<T> {
        private int next;

        abstract T at(int i);

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public T next() {
            if (next >= size) {
                throw new NoSuchElementException();
            }
            return at(next++);
        }
    }
}
