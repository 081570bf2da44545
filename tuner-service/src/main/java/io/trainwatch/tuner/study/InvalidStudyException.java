package io.trainwatch.tuner.study;

/** A study request that cannot run, naming the field that is wrong (answered as HTTP 400). */
public class InvalidStudyException extends RuntimeException {

    private final String field;

    public InvalidStudyException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** The message without the field name. */
    public String reason() {
        return getMessage().substring(field.length() + 2);
    }
}
