import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readAppContext } from '../../infra/appContext';

/** The calendar part of the policy is resolved at synth, so that a bad one never reaches a deployment. */
describe('App context: policy calendar', () => {
  const context = {
    mailDomain: 'example.com',
    senderAddress: 'support@example.com',
    policyProfile: 'standard',
  };
  const synthWith = (calendar: object) => () =>
    readAppContext(new App({ context: { ...context, policy: { calendar } } }).node);

  it('accepts a state and region of a bundled country, closures and worked holidays', () => {
    expect(
      synthWith({
        holidays: { country: 'DE', state: 'BY', region: 'A' },
        closures: [{ date: '2027-06-04' }, { date: '2027-12-23', closesAt: '12:00' }],
        workedHolidays: ['2027-08-08'],
      }),
    ).not.toThrow();
  });

  it('names the key of an unknown country, state or region', () => {
    expect(synthWith({ holidays: { country: 'XX' } })).toThrow(
      /policy\.calendar\.holidays\.country: no holidays resolved for "XX"/,
    );
    expect(synthWith({ holidays: { country: 'DE', state: 'XX' } })).toThrow(
      /policy\.calendar\.holidays\.state: unknown state "XX" for DE/,
    );
    expect(synthWith({ holidays: { country: 'DE', state: 'BY', region: 'XX' } })).toThrow(
      /policy\.calendar\.holidays\.region: unknown region "XX" for DE-BY/,
    );
  });

  it('names the key of an invalid date, a half day outside working hours and a worked day that is no holiday', () => {
    expect(synthWith({ closures: [{ date: '2027-02-30' }] })).toThrow(/policy\.calendar\.closures\.0\.date/);
    expect(synthWith({ closures: [{ date: '2027-06-04', closesAt: '18:00' }] })).toThrow(
      /policy\.calendar\.closures\.0\.closesAt: 18:00 is not within working hours 09:00-17:00/,
    );
    expect(synthWith({ workedHolidays: ['2027-03-09'] })).toThrow(
      /policy\.calendar\.workedHolidays\.0: 2027-03-09 is not a public holiday/,
    );
  });

  it('rejects a calendar whose closures leave no working time, and the old list of holiday dates', () => {
    const everySaturdayOf2027 = Array.from({ length: 52 }, (_, week) => ({
      date: new Date(Date.UTC(2027, 0, 2 + 7 * week)).toISOString().slice(0, 10),
    }));
    expect(synthWith({ workingDays: [6], closures: everySaturdayOf2027 })).toThrow(
      /policy\.calendar\.closures: no working time left in 2027/,
    );
    expect(synthWith({ holidays: ['2027-12-24'] })).toThrow(
      /policy\.calendar\.holidays: an object such as .*calendar\.closures/,
    );
  });
});
