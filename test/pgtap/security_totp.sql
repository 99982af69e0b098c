-- RFC 6238 (TOTP) in C: the RFC's own test vectors (Appendix B), then
-- verification with clock drift, and bad input.
BEGIN;
SELECT plan(27);

-- the RFC's seeds: ASCII "1234567890" repeated to 20, 32 and 64 bytes
CREATE TEMP TABLE seeds (algorithm text, secret bytea);
INSERT INTO seeds VALUES
  ('sha1', convert_to('12345678901234567890', 'UTF8')),
  ('sha256', convert_to('12345678901234567890123456789012', 'UTF8')),
  ('sha512', convert_to('1234567890123456789012345678901234567890123456789012345678901234', 'UTF8'));
CREATE TEMP TABLE vectors (unix_time bigint, algorithm text, code text);
INSERT INTO vectors VALUES
  (59, 'sha1', '94287082'), (59, 'sha256', '46119246'), (59, 'sha512', '90693936'),
  (1111111109, 'sha1', '07081804'), (1111111109, 'sha256', '68084774'), (1111111109, 'sha512', '25091201'),
  (1111111111, 'sha1', '14050471'), (1111111111, 'sha256', '67062674'), (1111111111, 'sha512', '99943326'),
  (1234567890, 'sha1', '89005924'), (1234567890, 'sha256', '91819424'), (1234567890, 'sha512', '93441116'),
  (2000000000, 'sha1', '69279037'), (2000000000, 'sha256', '90698825'), (2000000000, 'sha512', '38618901'),
  (20000000000, 'sha1', '65353130'), (20000000000, 'sha256', '77737706'), (20000000000, 'sha512', '47863826');

SELECT is(support.totp(s.secret, to_timestamp(v.unix_time), 8, v.algorithm), v.code,
          format('RFC 6238 vector: %s at T=%s is %s', v.algorithm, v.unix_time, v.code))
  FROM vectors v JOIN seeds s USING (algorithm)
 ORDER BY v.unix_time, v.algorithm;

-- verification: now, one step either side, not two; 6 digits as apps show them
-- (clock_timestamp(), as the verification reads the clock: the transaction's
-- now() could be a step behind it, and the previous step's code two)
SELECT ok(support.verify_totp(secret, support.totp(secret)), 'the current code verifies')
  FROM seeds WHERE algorithm = 'sha1';
SELECT ok(support.verify_totp(secret, support.totp(secret, clock_timestamp() - interval '30 seconds')),
          'the previous step''s code still verifies (clock drift)')
  FROM seeds WHERE algorithm = 'sha1';
SELECT ok(NOT support.verify_totp(secret, support.totp(secret, clock_timestamp() - interval '90 seconds')),
          'a code three steps old does not')
  FROM seeds WHERE algorithm = 'sha1';
SELECT ok(NOT support.verify_totp(secret, '12345a'), 'a code that is not all digits does not')
  FROM seeds WHERE algorithm = 'sha1';
SELECT ok(support.verify_totp(secret, support.totp(secret, now(), 8)), 'an 8-digit code verifies')
  FROM seeds WHERE algorithm = 'sha1';
SELECT is(support.totp_matching_step(secret, support.totp(secret, to_timestamp(59), 8), to_timestamp(59)), 1::bigint,
          'the matching step is the RFC counter (T=59 is step 1)')
  FROM seeds WHERE algorithm = 'sha1';

SELECT throws_ok($$SELECT support.totp('\x0011'::bytea)$$, '22023', 'a TOTP secret must be at least 10 bytes',
                 'a short secret is refused');
SELECT throws_ok($$SELECT support.totp(convert_to('12345678901234567890', 'UTF8'), now(), 8, 'md5')$$, '22023',
                 'unknown TOTP algorithm "md5"', 'an unknown algorithm is refused');
SELECT throws_ok($$SELECT support.totp(convert_to('12345678901234567890', 'UTF8'), now(), 12)$$, '22023',
                 'a TOTP code has 6 to 9 digits, not 12', 'an impossible length is refused');

SELECT * FROM finish();
ROLLBACK;
