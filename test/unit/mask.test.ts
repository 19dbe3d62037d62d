import { describe, expect, it } from 'vitest';
import { maskCommand, maskDeep, maskError, maskSecrets } from '../../src/shared/mask.js';

// What may reach a log line, a thread or a terminal: no password, token or key, in any of the forms they come in.

describe('maskSecrets', () => {
  it('masks libpq keyword/value connection strings, plain and quoted', () => {
    expect(maskSecrets('connect failed: host=db user=x password=s3cret dbname=y')).toBe('connect failed: host=db user=x password=*** dbname=y');
    expect(maskSecrets("host=db password='a b\\' c' dbname=y")).toBe('host=db password=*** dbname=y');
    expect(maskSecrets('host=db PASSWORD = hunter2 sslpassword=k3y')).toBe('host=db PASSWORD = *** sslpassword=***');
  });

  it('masks secrets inside JSON text, bearer tokens, AWS keys and passwords of URLs without a user', () => {
    expect(maskSecrets('{"password":"p@ss word","token": "abc"}')).toBe('{"password":"***","token": "***"}');
    expect(maskSecrets('Authorization: Bearer eyJhbGciOi.x.y')).toBe('Authorization: Bearer ***');
    expect(maskSecrets('key AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG')).toBe('key AKIA*** aws_secret_access_key=***');
    expect(maskSecrets('Connection is closed: redis://:r3dis@cache:6379')).toBe('Connection is closed: redis://:***@cache:6379');
    expect(maskSecrets('an xoxe-1-abc token')).toBe('an xoxe-*** token');
  });

  it('leaves ordinary text alone', () => {
    const text = 'A query on rentokil/us-east-1 hit the statement timeout (60000 ms); 2 of 6 windows done';
    expect(maskSecrets(text)).toBe(text);
  });

  it('maskError gives one masked line for any error', () => {
    expect(maskError(new Error('password authentication failed: host=db password=s3cret\nat x'))).toBe('password authentication failed: host=db password=***');
    expect(maskError('xoxb-1-2-3 invalid_auth')).toBe('xoxb-*** invalid_auth');
  });
});

describe('config:check masking', () => {
  it('shows a credential command\'s program, flags and placeholders, and masks every other argument', () => {
    expect(maskCommand('cresta-cli connstring -i --read-only {cluster} {cluster} {name}-{profile}')).toBe('cresta-cli *** -i --read-only {cluster} {cluster} {name}-{profile}');
    expect(maskCommand('get-url --password s3cret --token=abc {name}')).toBe('get-url --password *** --token=*** {name}');
    expect(maskDeep({ customers: [{ postgres: { command: 'vault read secret/db-pass {name}', cacheSeconds: 60 } }] })).toEqual({
      customers: [{ postgres: { command: 'vault *** *** {name}', cacheSeconds: 60 } }],
    });
  });

  it('masks libpq strings in any value', () => {
    expect(maskDeep({ note: 'host=db password=s3cret' })).toEqual({ note: 'host=db password=***' });
  });
});
