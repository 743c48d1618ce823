import {
  parsePhoneNumberFromString,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';

/** The two phone columns, digits only (`phone_local_code` may start with `+`). */
export interface PhoneParts {
  phone_local_code: string;
  phone_number: string;
}

/** Number types that carry a DDD in Brazil; 0800/4004-style numbers have none. */
const GEOGRAPHIC = new Set(['FIXED_LINE', 'MOBILE', 'FIXED_LINE_OR_MOBILE']);

/**
 * Parses a phone given as an optional local code plus a number, validated with
 * libphonenumber-js's full ("max") metadata, whose `isValid()` checks the
 * number against the country's real numbering plan (the default "min"
 * metadata would accept e.g. `999990000` as a Brazilian number without DDD).
 *
 * Attempts, first valid wins:
 * 1. `localCode number` when the local code is a calling code like `+44`;
 * 2. the number alone, first when there is no local code, when the number is
 *    international (`+...`: the local code is ignored) or when it already
 *    starts with the local code (Hotmart repeats `checkout_phone_code` "11"
 *    in `checkout_phone` "11999990000");
 * 3. `localCode number` (`"11"` + `"999990000"`, `"011"` + `"33334444"`);
 * 4. `+localCode number` when the code is 1-3 digits (`"44"` + `"2079460000"`);
 * 5. the number alone, if not tried yet.
 * National numbers are read in `region`; a Brazilian trunk prefix `0` or
 * carrier code (`011999999999`, `0 41 11 ...`) is understood by the library.
 * Extensions are discarded.
 *
 * Output split: Brazil (+55) → 2-digit DDD + 8/9-digit subscriber number;
 * NANP (+1) → 3-digit area code + 7 digits; anything else (and Brazilian
 * numbers without DDD) → `+<calling code>` + national significant number.
 * Returns undefined when no attempt gives a valid number.
 */
export function normalizePhone(
  localCode: string | undefined,
  number: string,
  region: CountryCode,
): PhoneParts | undefined {
  // A pure function of its inputs, called for every record: a customer's next
  // webhook usually repeats the phone, so recent answers are remembered.
  const key = `${region}\u0000${localCode ?? '\u0001'}\u0000${number}`;
  const known = recent.get(key);
  if (known !== undefined) return known === NOT_A_PHONE ? undefined : { ...known };
  const parts = parsePhone(localCode, number, region);
  if (recent.size >= RECENT_PHONES) recent.clear();
  recent.set(key, parts ?? NOT_A_PHONE);
  return parts;
}

const RECENT_PHONES = 50_000;
const NOT_A_PHONE: PhoneParts = Object.freeze({ phone_local_code: '', phone_number: '' });
const recent = new Map<string, PhoneParts>();

function parsePhone(localCode: string | undefined, number: string, region: CountryCode): PhoneParts | undefined {
  const code = localCode?.trim() ?? '';
  const candidates: string[] = [];
  if (code.startsWith('+')) candidates.push(`${code} ${number}`);
  const numberFirst = code === '' || number.trim().startsWith('+') || digitsOf(number).startsWith(digitsOf(code));
  if (numberFirst) candidates.push(number);
  if (code !== '') candidates.push(`${code} ${number}`);
  if (/^\d{1,3}$/.test(code)) candidates.push(`+${code} ${number}`);
  if (!numberFirst) candidates.push(number);
  for (const candidate of candidates) {
    const parsed = parse(candidate, region);
    if (parsed !== undefined) return split(parsed);
  }
  return undefined;
}

function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}

function parse(text: string, region: CountryCode): PhoneNumber | undefined {
  try {
    const parsed = parsePhoneNumberFromString(text, region);
    return parsed?.isValid() ? parsed : undefined;
  } catch {
    // Third-party parser on arbitrary input: normalizeRecord must never throw.
    return undefined;
  }
}

function split(phone: PhoneNumber): PhoneParts {
  const national: string = phone.nationalNumber;
  const callingCode: string = phone.countryCallingCode;
  if (callingCode === '55' && national.length >= 10 && GEOGRAPHIC.has(phone.getType() ?? '')) {
    return { phone_local_code: national.slice(0, 2), phone_number: national.slice(2) };
  }
  if (callingCode === '1' && national.length === 10) {
    return { phone_local_code: national.slice(0, 3), phone_number: national.slice(3) };
  }
  return { phone_local_code: `+${callingCode}`, phone_number: national };
}
