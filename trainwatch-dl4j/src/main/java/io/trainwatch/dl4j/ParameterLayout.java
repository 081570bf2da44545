package io.trainwatch.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each measured layer's trainable parameters lie in a model's flat parameter vector, and the per-layer sums
 * of squares over a flat vector of that layout (parameters, gradient or update).
 *
 * <p>Layers are the model's layers that have trainable parameters (subsampling, activation, dropout layers have
 * none and do not appear), ordered by the position of their parameters in the flat parameter vector (input side
 * first). They are named {@code layer0 ... layerN} by their DL4J index in a {@code MultiLayerNetwork} and by their
 * layer (vertex) name in a {@code ComputationGraph}. Each parameter array of a layer ({@code W}, {@code b},
 * {@code RW}, {@code gamma}, ...) is found in the flat vector by the offset of its view, so that the norms are
 * right whatever the order of the parameter tables. Running statistics ({@link #RUNNING_STATISTICS}) are left out.
 */
final class ParameterLayout {

    /** Parameters that are running statistics, not trained by gradient (BN's moving mean and variance). */
    static final Set<String> RUNNING_STATISTICS = Set.of("mean", "var", "log10stdev");

    private final String[] layerNames;
    /** For each parameter array in flat order: its layer, its start and its end (exclusive). */
    private final int[] sliceLayer;
    private final int[] sliceStart;
    private final int[] sliceEnd;
    private final int totalLength;

    /** One parameter array of a layer: where it lies in the flat vector, and whether gradients train it. */
    private record Slice(String layer, int start, int end, boolean trainable) {
    }

    /** The layout of {@code model}'s flat vector {@code flat}, from its {@code layers}. */
    ParameterLayout(Model model, Layer[] layers, INDArray flat) {
        this.totalLength = (int) flat.length();
        List<Slice> all = slices(model, layers, flat);
        // Layers with trainable parameters, in the order of their first parameter in the flat vector.
        Map<String, Integer> firstOffset = new LinkedHashMap<>();
        for (Slice sl : all) {
            if (sl.trainable() && sl.end() > sl.start()) {
                firstOffset.merge(sl.layer(), sl.start(), Math::min);
            }
        }
        List<String> names = new ArrayList<>(firstOffset.keySet());
        names.sort(Comparator.comparingInt(firstOffset::get));
        this.layerNames = names.toArray(new String[0]);
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < layerNames.length; i++) {
            index.put(layerNames[i], i);
        }
        List<Slice> kept = all.stream().filter(sl -> sl.trainable() && index.containsKey(sl.layer()))
                .sorted(Comparator.comparingInt(Slice::start)).toList();
        sliceLayer = new int[kept.size()];
        sliceStart = new int[kept.size()];
        sliceEnd = new int[kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            sliceLayer[i] = index.get(kept.get(i).layer());
            sliceStart[i] = kept.get(i).start();
            sliceEnd[i] = kept.get(i).end();
        }
    }

    /** The measured layers' names, input side first (not a copy). */
    String[] layerNames() {
        return layerNames;
    }

    int numLayers() {
        return layerNames.length;
    }

    /** The length of the flat vector. */
    int totalLength() {
        return totalLength;
    }

    /**
     * Where a dense {@link OutputLayer}'s {@code W} (in 'f' order) and {@code b} lie in the flat vector:
     * {@code {wStart, wEnd, bStart, bEnd}}, or null when the layer is not one or its parameters are not views of it.
     */
    static int[] outputWeights(Layer outputLayer, INDArray flat) {
        if (outputLayer == null || outputLayer.getClass() != OutputLayer.class) {
            return null;
        }
        Map<String, INDArray> pt = outputLayer.paramTable();
        INDArray w = pt.get("W");
        INDArray b = pt.get("b");
        Integer wStart = w == null ? null : offsetIn(flat, w);
        Integer bStart = b == null ? null : offsetIn(flat, b);
        if (w == null || w.ordering() != 'f' || wStart == null || bStart == null) {
            return null;
        }
        return new int[]{wStart, wStart + (int) w.length(), bStart, bStart + (int) b.length()};
    }

    /**
     * Every parameter array of every layer with its place in the flat vector, found from the offset of its view;
     * if the views do not tile the flat vector exactly, the parameter tables' order is taken as the layout.
     */
    private static List<Slice> slices(Model model, Layer[] layers, INDArray flat) {
        List<Slice> byOffset = new ArrayList<>();
        List<Slice> byOrder = new ArrayList<>();
        boolean offsetsOk = true;
        int sequential = 0;
        for (Layer layer : layers) {
            String name = model instanceof MultiLayerNetwork ? StepTelemetry.layerName(layer.getIndex())
                    : layer.conf().getLayer().getLayerName();
            Map<String, INDArray> table = layer.paramTable();
            if (table == null) {
                continue;
            }
            for (Map.Entry<String, INDArray> e : table.entrySet()) {
                int len = (int) e.getValue().length();
                boolean trainable = !RUNNING_STATISTICS.contains(e.getKey());
                Integer start = offsetIn(flat, e.getValue());
                if (start == null) {
                    offsetsOk = false;
                } else {
                    byOffset.add(new Slice(name, start, start + len, trainable));
                }
                byOrder.add(new Slice(name, sequential, sequential + len, trainable));
                sequential += len;
            }
        }
        if (offsetsOk && tiles(byOffset, (int) flat.length())) {
            return byOffset;
        }
        if (sequential != flat.length()) {
            throw new IllegalStateException("parameter tables cover " + sequential + " of " + flat.length()
                    + " parameters");
        }
        return byOrder;
    }

    /** Whether the slices cover [0, total) exactly, without overlap. */
    private static boolean tiles(List<Slice> slices, int total) {
        List<Slice> sorted = slices.stream().sorted(Comparator.comparingInt(Slice::start)).toList();
        int next = 0;
        for (Slice s : sorted) {
            if (s.start() != next) {
                return false;
            }
            next = s.end();
        }
        return next == total;
    }

    /** Where a parameter view starts inside the flat vector, or null when it is not a contiguous view of it. */
    private static Integer offsetIn(INDArray flat, INDArray view) {
        try {
            if (view.data() == null || flat.data() == null || view.length() == 0) {
                return null;
            }
            long start = view.offset() - flat.offset();
            boolean contiguous = view.length() == 1 || view.elementWiseStride() == 1;
            if (start < 0 || start + view.length() > flat.length() || !contiguous) {
                return null;
            }
            return (int) start;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The sums of squares of {@code values} (a flat vector) per measured layer into {@code perLayer}; the total. */
    double sumSquares(float[] values, double[] perLayer) {
        Arrays.fill(perLayer, 0);
        double total = 0;
        for (int s = 0; s < sliceLayer.length; s++) {
            // Four accumulators: the additions are independent, so the loop is not bound by their latency.
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int i = sliceStart[s];
            int end = sliceEnd[s];
            for (; i + 3 < end; i += 4) {
                double a = values[i];
                double b = values[i + 1];
                double c = values[i + 2];
                double d = values[i + 3];
                s0 += a * a;
                s1 += b * b;
                s2 += c * c;
                s3 += d * d;
            }
            for (; i < end; i++) {
                double a = values[i];
                s0 += a * a;
            }
            double sum = (s0 + s1) + (s2 + s3);
            perLayer[sliceLayer[s]] += sum;
            total += sum;
        }
        return total;
    }
}
