const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its canonical 8-4-4-4-12 spelling: what this system writes and may safely cast. */
export const isUuid = (text: string): boolean => UUID.test(text);
