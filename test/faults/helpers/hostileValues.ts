/**
 * Tricky but valid values for the hostile generator, each with the value that
 * must be stored, written down by hand (not computed by custsync's code):
 * [raw, stored].
 */

export const SQL_VALUES = [
  ["Robert'); DROP TABLE customers;--", "Robert'); DROP TABLE customers;--"],
  ["' OR '1'='1", "' OR '1'='1"],
  ['"; DELETE FROM customer_logs; --', '"; DELETE FROM customer_logs; --'],
  ['%_\\% LIKE escape', '%_\\% LIKE escape'],
  ['$1::text, $2', '$1::text, $2'],
  ["E'\\x00' || chr(0)", "E'\\x00' || chr(0)"],
  ['1; SELECT pg_sleep(10)', '1; SELECT pg_sleep(10)'],
  ['O\'Brien "The Hammer" `sudo`', 'O\'Brien "The Hammer" `sudo`'],
  ['NULL', 'NULL'],
  ['null', 'null'],
  ['\\N', '\\N'],
  ['\\\\server\\share\\', '\\\\server\\share\\'],
  ['); COMMIT; BEGIN; --', '); COMMIT; BEGIN; --'],
] as const;

export const HTML_VALUES = [
  ["<script>alert('x')</script>", "<script>alert('x')</script>"],
  ['<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>'],
  ['</td><b>bold</b>&amp;&lt;&#0;', '</td><b>bold</b>&amp;&lt;&#0;'],
  ['<!-- comment --><![CDATA[x]]>', '<!-- comment --><![CDATA[x]]>'],
  ['javascript:alert(document.cookie)', 'javascript:alert(document.cookie)'],
  ["{{constructor.constructor('alert(1)')()}}", "{{constructor.constructor('alert(1)')()}}"],
  ['${7*7} #{7*7} <%= 7*7 %>', '${7*7} #{7*7} <%= 7*7 %>'],
] as const;

export const SCRIPT_VALUES = [
  ['José 🚀 Ñandú', 'José 🚀 Ñandú'],
  ['山田 太郎', '山田 太郎'],
  ['Владимир Петров', 'Владимир Петров'],
  ['محمد الأحمد', 'محمد الأحمد'],
  ['Ελένη Παπαδοπούλου', 'Ελένη Παπαδοπούλου'],
  ['👨‍👩‍👧‍👦 família', '👨‍👩‍👧‍👦 família'],
  ['ผู้ใช้ ทดสอบ', 'ผู้ใช้ ทดสอบ'],
  ['김민준', '김민준'],
  ['🇧🇷 São Gonçalo', '🇧🇷 São Gonçalo'],
  ['\u202eevil.exe', '\u202eevil.exe'],
  // A combining accent stays as sent (no NFC), so it differs from the precomposed é.
  ['Jose\u0301', 'Jose\u0301'],
  ['\u{1D573}\u{1D58A}\u{1D586}', '\u{1D573}\u{1D58A}\u{1D586}'],
] as const;

export const CONTROL_VALUES = [
  ['bell\u0007ring', 'bell\u0007ring'],
  ['\u001b[31mred\u001b[0m', '\u001b[31mred\u001b[0m'],
  // Whitespace (tab, newline, NBSP, em space) is trimmed and collapsed to one space.
  ['tab\tinside', 'tab inside'],
  ['line\r\nbreak', 'line break'],
  ['\u00a0Ana\u2003\u2003Maria\u00a0', 'Ana Maria'],
  ['back\bspace\u007f', 'back\bspace\u007f'],
] as const;
