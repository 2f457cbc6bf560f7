/**
 * Stands in for date-chinese in the Lambda bundles (`lambdaBundling` aliases it here): the holiday
 * rules engine uses it for Chinese, Korean and Vietnamese calendar rules only, which none of the
 * bundled countries' rules use, and the real module computes with astronomia as soon as it is loaded
 * (see astronomia/index.ts). Building such a rule throws.
 */

class NotBundled {
  constructor() {
    throw new Error(
      'date-chinese is not bundled: Chinese, Korean and Vietnamese calendar holiday rules are unavailable in the Lambda bundles',
    );
  }
}

export const CalendarChinese = NotBundled;
export const CalendarKorean = NotBundled;
export const CalendarVietnamese = NotBundled;
