/**
 * Masks a phone number so logs, pages and Slack messages can name a caller
 * without revealing the number: every digit but the last four becomes `*`.
 * Numbers of four digits or fewer are masked whole.
 *
 * @example
 * ```ts
 * maskPhoneNumber("+15550100987"); // "+*******0987"
 * ```
 */
export function maskPhoneNumber(phoneNumber: string): string {
  const digitCount = phoneNumber.replace(/\D/g, "").length;
  const visibleDigits = digitCount > 4 ? 4 : 0;
  let digitsSeen = 0;

  return phoneNumber.replace(/\d/g, (digit) => {
    digitsSeen += 1;
    return digitsSeen > digitCount - visibleDigits ? digit : "*";
  });
}
