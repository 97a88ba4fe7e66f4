import fc from 'fast-check';
import {
  InventoryValidator,
  addressProblem,
  detectInventoryColumns,
  formatExchangeMigrationCsv,
  mailboxEntrySchema,
  mailboxListSchema,
  validateInventoryRow,
} from '../../shared/domain/inventory';

describe('mailbox addresses', () => {
  test.each([
    'user@contoso.com',
    'first.last@mail.contoso.co.uk',
    "o'brien@contoso.com",
    'a+tag@x-y.example',
    'UPPER@Contoso.COM',
    `${'a'.repeat(64)}@contoso.com`,
  ])('accepts %s', (address) => {
    expect(addressProblem(address)).toBeUndefined();
    expect(mailboxEntrySchema.safeParse({ address }).success).toBe(true);
  });

  test.each([
    ['', 'is empty'],
    ['plainaddress', 'not a valid'],
    ['@contoso.com', 'not a valid'],
    ['user@', 'not a valid'],
    ['user@localhost', 'not a valid'],
    ['user@@contoso.com', 'not a valid'],
    ['user.@contoso.com', 'not a valid'],
    ['.user@contoso.com', 'not a valid'],
    ['us..er@contoso.com', 'not a valid'],
    ['user@-contoso.com', 'not a valid'],
    ['user@contoso.123', 'not a valid'],
    ['user@[10.0.0.1]', 'not a valid'],
    ['"quoted"@contoso.com', 'not a valid'],
    ['user name@contoso.com', 'not a valid'],
    ['user,x@contoso.com', 'not a valid'],
    ['user\u0000@contoso.com', 'control character'],
    ['user\n@contoso.com', 'control character'],
    [`${'a'.repeat(65)}@contoso.com`, 'local part longer than 64'],
    [`a@${`${'b'.repeat(60)}.`.repeat(4)}${'c'.repeat(10)}.com`, 'longer than 254'],
  ])('refuses %j (%s)', (address, why) => {
    expect(addressProblem(address)).toContain(why);
    expect(mailboxEntrySchema.safeParse({ address }).success).toBe(false);
  });

  test('sizeBytes is an optional non-negative safe integer, and unknown keys are refused', () => {
    const ok = (value: unknown): boolean => mailboxEntrySchema.safeParse(value).success;
    expect(ok({ address: 'a@b.com', sizeBytes: 0 })).toBe(true);
    expect(ok({ address: 'a@b.com', sizeBytes: Number.MAX_SAFE_INTEGER })).toBe(true);
    expect(ok({ address: 'a@b.com', sizeBytes: -1 })).toBe(false);
    expect(ok({ address: 'a@b.com', sizeBytes: 1.5 })).toBe(false);
    expect(ok({ address: 'a@b.com', sizeBytes: Number.MAX_SAFE_INTEGER + 2 })).toBe(false);
    expect(ok({ address: 'a@b.com', sizeBytes: '10' })).toBe(false);
    expect(ok({ address: 'a@b.com', tier: 'health' })).toBe(false);
  });

  test('a list with the same address twice (any case) names the duplicate index', () => {
    const result = mailboxListSchema({ max: 10 }).safeParse([
      { address: 'a@contoso.com' },
      { address: 'b@contoso.com' },
      { address: 'A@Contoso.com' },
    ]);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: [2, 'address'], message: 'duplicate address (first at index 0)' }),
    ]);
  });
});

describe('Exchange migration CSV header', () => {
  test('finds EmailAddress case-insensitively, ignoring a BOM, spaces and other Exchange columns', () => {
    const detected = detectInventoryColumns(['\uFEFFPassword', ' emailaddress ', 'ForceChangePassword']);
    expect(detected).toEqual({ ok: true, columns: { addressIndex: 1 } });
  });

  test.each([
    [['EmailAddress', 'SizeBytes'], 1, 'SizeBytes'],
    [['EmailAddress', 'MailboxSizeBytes'], 1, 'MailboxSizeBytes'],
    [['TotalItemSize', 'EmailAddress'], 0, 'TotalItemSize'],
    [['TotalItemSize', 'EmailAddress', 'sizebytes'], 2, 'sizebytes'],
  ])('picks the size column of %j', (header, sizeIndex, sizeColumn) => {
    expect(detectInventoryColumns(header)).toEqual({
      ok: true,
      columns: { addressIndex: header.findIndex((h) => /email/i.test(h)), sizeIndex, sizeColumn },
    });
  });

  test('refuses a header without, or with two, EmailAddress columns', () => {
    expect(detectInventoryColumns(['Address', 'Size'])).toMatchObject({
      ok: false,
      problem: { line: 1, field: 'EmailAddress', message: expect.stringContaining('no EmailAddress') },
    });
    expect(detectInventoryColumns(['EmailAddress', 'EMAILADDRESS'], 3)).toMatchObject({
      ok: false,
      problem: { line: 3, message: expect.stringContaining('more than one') },
    });
  });
});

describe('inventory rows', () => {
  test('validateInventoryRow reads records keyed by header names and trims padding', () => {
    expect(validateInventoryRow({ EmailAddress: ' a@contoso.com ', Password: 'secret' }, 2)).toEqual({
      ok: true,
      entry: { address: 'a@contoso.com' },
    });
    expect(validateInventoryRow({ emailaddress: 'a@contoso.com', SizeBytes: '1024' }, 2)).toEqual({
      ok: true,
      entry: { address: 'a@contoso.com', sizeBytes: 1024 },
    });
    expect(
      validateInventoryRow(
        { EmailAddress: 'a@contoso.com', TotalItemSize: '1.5 GB (1,610,612,736 bytes)' },
        2,
      ),
    ).toEqual({ ok: true, entry: { address: 'a@contoso.com', sizeBytes: 1_610_612_736 } });
    expect(validateInventoryRow({ EmailAddress: 'a@contoso.com', SizeBytes: '' }, 2)).toEqual({
      ok: true,
      entry: { address: 'a@contoso.com' },
    });
  });

  test('reports every problem of a row with its line and field', () => {
    expect(validateInventoryRow({ EmailAddress: 'nope', SizeBytes: '-5' }, 7)).toEqual({
      ok: false,
      problems: [
        { line: 7, field: 'EmailAddress', message: 'EmailAddress is not a valid email address' },
        { line: 7, field: 'SizeBytes', message: expect.stringContaining('is not a byte count') },
      ],
    });
    expect(
      validateInventoryRow({ EmailAddress: 'a@b.com', SizeBytes: '99999999999999999999' }, 3),
    ).toMatchObject({
      ok: false,
      problems: [{ line: 3, field: 'SizeBytes', message: 'SizeBytes is too large' }],
    });
    expect(validateInventoryRow({ Address: 'a@b.com' }, 4)).toMatchObject({
      ok: false,
      problems: [{ line: 4, field: 'EmailAddress' }],
    });
  });

  test('InventoryValidator: header first, duplicates are bad rows naming the first line, short rows are bad', () => {
    const validator = new InventoryValidator();
    expect(() => validator.acceptRow(['a@b.com'], 2)).toThrow(/before a valid header/);
    expect(validator.acceptHeader(['EmailAddress', 'SizeBytes'], 1)).toBeUndefined();
    expect(validator.hasHeader).toBe(true);
    expect(validator.acceptRow(['a@contoso.com', '10'], 2)).toEqual({
      ok: true,
      entry: { address: 'a@contoso.com', sizeBytes: 10 },
    });
    expect(validator.acceptRow(['b@contoso.com'], 3)).toEqual({
      ok: true,
      entry: { address: 'b@contoso.com' },
    });
    expect(validator.acceptRow(['A@CONTOSO.com', '10'], 5)).toEqual({
      ok: false,
      problems: [{ line: 5, field: 'EmailAddress', message: 'duplicate address (first on line 2)' }],
    });
    expect(validator.acceptRow([], 6)).toMatchObject({
      ok: false,
      problems: [{ line: 6, field: 'EmailAddress' }],
    });
    expect(validator.rowCount).toBe(4);
  });
});

describe('formatExchangeMigrationCsv', () => {
  test('writes the EmailAddress header and one CRLF row per mailbox', () => {
    expect(
      formatExchangeMigrationCsv([{ address: 'a@contoso.com', sizeBytes: 5 }, { address: "o'b@x.org" }]),
    ).toBe("EmailAddress\r\na@contoso.com\r\no'b@x.org\r\n");
    expect(formatExchangeMigrationCsv([])).toBe('EmailAddress\r\n');
  });

  test('quotes fields that need it (defensive: valid addresses never do)', () => {
    expect(formatExchangeMigrationCsv([{ address: 'a,"b"' }, { address: ' x' }])).toBe(
      'EmailAddress\r\n"a,""b"""\r\n" x"\r\n',
    );
  });

  test('property: what it writes reads back, row for row, through the validator', () => {
    // Any dot-atom local part but one starting with a spreadsheet formula character (refused on purpose).
    const local = fc.stringMatching(/^[A-Za-z0-9!#$%&'*/?^_`{|}~][A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{0,19}$/);
    const domain = fc.stringMatching(/^[a-z0-9]{1,10}\.[a-z]{2,6}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(local, domain), {
          maxLength: 30,
          selector: ([l, d]) => `${l}@${d}`.toLowerCase(),
        }),
        (pairs) => {
          const mailboxes = pairs.map(([l, d]) => ({ address: `${l}@${d}` }));
          const lines = formatExchangeMigrationCsv(mailboxes).split('\r\n');
          expect(lines.pop()).toBe('');
          const validator = new InventoryValidator();
          expect(validator.acceptHeader([lines[0] as string], 1)).toBeUndefined();
          const read = lines.slice(1).map((line, i) => validator.acceptRow([line], i + 2));
          expect(read).toEqual(mailboxes.map((entry) => ({ ok: true, entry })));
        },
      ),
    );
  });
});
