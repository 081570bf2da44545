package io.trainwatch.trainer.data;

import io.trainwatch.trainer.model.InvalidConfigException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A user CSV file of numeric features and one label column (a header name or a 0-based index, default the
 * last column). Labels that are all whole numbers are used as class indices; otherwise each distinct text
 * is a class, in sorted order. A first line with a non-numeric feature cell is a header.
 */
public final class CsvData {

    /** The largest file read: 256 MiB. */
    public static final long MAX_BYTES = 256L * 1024 * 1024;
    public static final int MAX_ROWS = 1_000_000;
    public static final int MAX_CLASSES = 1000;

    private CsvData() {
    }

    public static Examples read(Path path, String labelColumn) {
        try {
            if (!Files.isRegularFile(path)) {
                throw new InvalidConfigException("dataset.path", "no such file: " + path);
            }
            if (Files.size(path) > MAX_BYTES) {
                throw new InvalidConfigException("dataset.path", "file is over " + (MAX_BYTES >> 20) + " MiB");
            }
            try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                return parse(in.lines().toList(), labelColumn);
            }
        } catch (IOException e) {
            throw new InvalidConfigException("dataset.path", "cannot read " + path + ": " + e.getMessage());
        }
    }

    static Examples parse(List<String> lines, String labelColumn) {
        List<String[]> rows = new ArrayList<>();
        String[] header = null;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cells[i].trim();
            }
            if (header == null && rows.isEmpty() && !allNumericButOne(cells)) {
                header = cells;
                continue;
            }
            rows.add(cells);
            if (rows.size() > MAX_ROWS) {
                throw new InvalidConfigException("dataset.path", "more than " + MAX_ROWS + " rows");
            }
        }
        if (rows.size() < 2) {
            throw new InvalidConfigException("dataset.path", "needs at least 2 data rows, has " + rows.size());
        }
        int width = rows.get(0).length;
        if (width < 2) {
            throw new InvalidConfigException("dataset.path", "needs at least one feature column and a label column");
        }
        int label = labelIndex(labelColumn, header, width);
        float[][] x = new float[rows.size()][width - 1];
        String[] labels = new String[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            String[] cells = rows.get(r);
            int lineNo = r + 1 + (header == null ? 0 : 1);
            if (cells.length != width) {
                throw new InvalidConfigException("dataset.path", "line " + lineNo + " has " + cells.length
                        + " columns, expected " + width);
            }
            int f = 0;
            for (int c = 0; c < width; c++) {
                if (c == label) {
                    labels[r] = cells[c];
                    continue;
                }
                try {
                    float v = Float.parseFloat(cells[c]);
                    if (!Float.isFinite(v)) {
                        throw new NumberFormatException();
                    }
                    x[r][f++] = v;
                } catch (NumberFormatException e) {
                    throw new InvalidConfigException("dataset.path", "line " + lineNo + " column " + c
                            + ": not a finite number: '" + cells[c] + "'");
                }
            }
        }
        return new Examples(x, classIndices(labels), countClasses(labels));
    }

    private static boolean allNumericButOne(String[] cells) {
        int bad = 0;
        for (String c : cells) {
            try {
                Double.parseDouble(c);
            } catch (NumberFormatException e) {
                bad++;
            }
        }
        return bad <= 1;
    }

    private static int labelIndex(String labelColumn, String[] header, int width) {
        if (labelColumn == null) {
            return width - 1;
        }
        if (header != null) {
            for (int i = 0; i < header.length; i++) {
                if (header[i].equals(labelColumn)) {
                    return i;
                }
            }
        }
        try {
            int i = Integer.parseInt(labelColumn.trim());
            if (i >= 0 && i < width) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new InvalidConfigException("dataset.labelColumn", "no column '" + labelColumn + "' in the file");
    }

    private static int[] classIndices(String[] labels) {
        Map<String, Integer> ids = ids(labels);
        int[] y = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            y[i] = ids.get(labels[i]);
        }
        return y;
    }

    private static int countClasses(String[] labels) {
        return ids(labels).values().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    }

    private static Map<String, Integer> ids(String[] labels) {
        boolean integers = true;
        for (String l : labels) {
            try {
                int v = Integer.parseInt(l);
                if (v < 0 || v >= MAX_CLASSES) {
                    integers = false;
                }
            } catch (NumberFormatException e) {
                integers = false;
            }
        }
        Map<String, Integer> ids = new TreeMap<>();
        if (integers) {
            for (String l : labels) {
                ids.put(l, Integer.parseInt(l));
            }
        } else {
            for (String l : labels) {
                ids.putIfAbsent(l, 0);
            }
            if (ids.size() > MAX_CLASSES) {
                throw new InvalidConfigException("dataset.labelColumn", "more than " + MAX_CLASSES + " classes");
            }
            int i = 0;
            for (Map.Entry<String, Integer> e : ids.entrySet()) {
                e.setValue(i++);
            }
        }
        if (ids.size() < 2) {
            throw new InvalidConfigException("dataset.labelColumn", "needs at least 2 classes, found " + ids.size());
        }
        return ids;
    }
}
