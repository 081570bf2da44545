package io.trainwatch.trainer.model;

/** A run configuration that cannot be trained, naming the field that is wrong (a 400 at the REST API). */
public class InvalidConfigException extends RuntimeException {

    private final String field;

    public InvalidConfigException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The JSON path of the wrong field, e.g. {@code dataset.classes} or {@code hiddenLayers[2]}. */
    public String field() {
        return field;
    }

    /** The reason without the field name. */
    public String reason() {
        String m = getMessage();
        return m.substring(field.length() + 2);
    }
}
