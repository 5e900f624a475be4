import { describe, expect, it } from 'vitest';
import { passwordProblem, USERNAME_RE } from './hooks';

describe('user form rules', () => {
  it('password length in bytes and not the username', () => {
    expect(passwordProblem('short', 'a')).toBe('short');
    expect(passwordProblem('x'.repeat(73), 'a')).toBe('long');
    expect(passwordProblem('日本語日本語日本語日本語日本語日本語日本語日本語日本語', 'a')).toBe('long');
    expect(passwordProblem('alice-the-admin', 'Alice-The-Admin')).toBe('username');
    expect(passwordProblem('my-alice-password', 'alice')).toBe('username');
    expect(passwordProblem('abababababababab', 'x')).toBe('repetitive');
    expect(passwordProblem('correct horse battery', 'alice')).toBeNull();
  });
  it('usernames', () => {
    expect(USERNAME_RE.test('alice.b-2')).toBe(true);
    expect(USERNAME_RE.test('Alice')).toBe(false);
    expect(USERNAME_RE.test('-x')).toBe(false);
  });
});
