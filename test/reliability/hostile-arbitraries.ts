import fc from 'fast-check';

// Strings made to inject: line breaks of every kind, NUL, lone surrogates,
// BOMs, text that looks like fields, mixed with arbitrary Unicode.
/** Strings made to inject, for the hostile-input scenarios. */
export const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '\r',
        '\n',
        '\r\n',
        '\0',
        '\uFEFF',
        '\uD800',
        '\uDC00',
        ':',
        ' ',
        'data: x',
        'event: admin',
        'id: 99',
        'retry: 1',
        'é',
        '😀',
        'a',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
);
