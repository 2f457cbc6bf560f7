import { tzOffset } from '@date-fns/tz';
import TinyQueue from 'tinyqueue';
import { appliedSoFar } from '../../functions/core/authority';
import type {
  Actor,
  Complaint,
  Decision,
  FollowUpOutcome,
  Resolution,
  WaitingFor,
} from '../../functions/core/complaint';
import { queueOf } from '../../functions/core/complaint';
import {
  type Agent,
  closeByAgent,
  decideApproval,
  followUpOutcome,
  proposeResolution,
  requestEscalation,
  requestInfo,
} from '../../functions/core/decisions';
import type { ComplaintCategory } from '../../functions/core/investigation';
import {
  acceptDecision,
  applyResolution,
  type CloseReason,
  close,
  type EscalationCause,
  escalate,
  escalationDone,
  investigate,
  needsRiskEscalation,
  pendingFor,
  type RequeueReason,
  recordUnreachable,
  awaitPerson as registerWait,
  remindCustomer,
  requeue,
  sendSurvey,
  slaWarningDone,
  surveySent,
  waitTimedOut,
  warnSla,
  workflowState,
} from '../../functions/core/lifecycle';
import { type AgentRole, agentRoles, type Policy, type Priority } from '../../functions/core/policy';
import {
  addBusinessDelay,
  pauseSlaClock,
  resumeSlaClock,
  type SlaClock,
  secondsUntil,
  slaBudget,
  startSlaClock,
} from '../../functions/core/sla';
import { type SimulatedRisk, type Tone, Triage } from './complaintMail';
import { Random } from './random';
import { type Scenario, type StaffGroup, scenarioPolicy } from './scenario';
import {
  type GraphState,
  passParameters,
  ruleMatches,
  storedWorkflowGraph,
  valueAt,
  type WorkflowGraph,
} from './workflowGraph';

/**
 * A discrete-event simulation of the complaint workload in virtual time. Complaints are real `Complaint`
 * records moved by the real core transitions (investigate, awaitPerson, acceptDecision, escalate,
 * applyResolution, requeue, recordUnreachable, sendSurvey, close) with the SLA clocks, business calendar,
 * authority checks and approvals of the policy in force; the workflow is walked state by state on the
 * projection of the synthesized definition (`workflowGraph.json`), so its Choices, Waits and timeouts
 * are the state machine's. What the simulation adds is only what is outside the system: arrivals,
 * agents with shifts and handling times, and customers. Every draw comes from seeded generators: one for
 * arrivals and one per complaint, so a complaint behaves the same whatever the staffing.
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface SimulationOptions {
  /** Agents per role, replacing the scenario's headcount (all its shift groups of that role share it). */
  staffing?: Partial<Record<AgentRole, number>>;
  seed?: number;
  /** Keep each complaint's inputs (decisions, timeouts) and states for a replay on the local stack. */
  trace?: boolean;
  /** Stop after this many complaints (the stack comparison replays a few). */
  maxComplaints?: number;
}

/** What the replay of one complaint needs: the mail, and at each wait what happened. */
export interface ComplaintTrace {
  index: number;
  arrivedAt: string;
  category: ComplaintCategory;
  tone: Tone;
  risk?: SimulatedRisk;
  /** Per wait, in order: the answer given (by whom), or the timeout. */
  inputs: TraceInput[];
  /** The states entered, in order. */
  states: string[];
}

export type TraceInput =
  | { wait: WaitingFor; timeout: true }
  | { wait: WaitingFor; role?: AgentRole; decision: Decision };

/** Counts per path (what the stack comparison compares) and per event. */
export type PathCounts = Record<string, number>;

export interface Sample {
  at: string;
  /** Complaints arrived and not closed. */
  open: number;
  /** Waiting in a queue (agent, approval, follow-up call), per role. */
  queued: Record<AgentRole, number>;
  approvalsWaiting: number;
  /** Hours the complaint waiting longest in a queue has waited (since its current wait began). */
  oldestWaitingHours: number;
  /** Agents on shift / busy, per role. */
  onShift: Record<AgentRole, number>;
  busy: Record<AgentRole, number>;
}

export interface SlaCell {
  met: number;
  missed: number;
}

/** Usage counted for the cost model. */
export interface SimulatedUsage {
  stateTransitions: number;
  lambdaInvocations: Record<string, number>;
  mailsIn: number;
  mailsOut: number;
  teamNotifications: number;
  apiRequests: number;
  /** Complaint writes (each a transaction of the complaint and its audit entry). */
  transitions: number;
}

export interface SimulationResult {
  scenario: string;
  seed: number;
  start: string;
  end: string;
  staffing: Record<AgentRole, number>;
  complaints: number;
  closed: number;
  openAtEnd: number;
  /** `tier|priority` → first responses within the first target (and missed, or overdue and still unanswered). */
  firstResponse: Record<string, SlaCell>;
  /** `tier|priority` → resolutions within the resolution target (paused while awaiting the customer). */
  resolution: Record<string, SlaCell>;
  paths: PathCounts;
  /** Busy share of on-shift time, per role. */
  utilisation: Record<AgentRole, number>;
  /** Agent work that was lost because the wait timed out first (the API answered 409). */
  wastedWork: number;
  samples: Sample[];
  usage: SimulatedUsage;
  traces?: ComplaintTrace[];
}

interface SimComplaint {
  index: number;
  c: Complaint;
  rng: Random;
  category: ComplaintCategory;
  tone: Tone;
  risk?: SimulatedRisk;
  resolution: { type: Resolution['type']; amount?: number };
  needsInformation: boolean;
  escalates: boolean;
  withdrawn: boolean;
  arrivedAt: number;
  /** When the current wait for the team began. */
  waitingSince: number;
  state: string;
  data: Record<string, unknown>;
  /** The live wait (0: none). */
  token: number;
  tokens: number;
  waitingKind?: WaitingFor;
  claimed: boolean;
  /** The token of the wait an agent was working on when it woke for the SLA warning (the work goes on). */
  carriedWork?: number;
  replyScheduled: boolean;
  priority?: Priority;
  firstResponseDue?: number;
  firstResponded: boolean;
  resolutionClock?: SlaClock;
  resolved: boolean;
  closed: boolean;
  trace?: ComplaintTrace;
}

interface SimAgent {
  agent: Agent;
  onShift: boolean;
  busy: boolean;
  busySince: number;
  busyMs: number;
  shiftSince: number;
  shiftMs: number;
}

type SimEvent =
  | { at: number; kind: 'arrival' }
  | { at: number; kind: 'timeout' | 'wake' | 'reply'; sc: SimComplaint; token: number }
  | { at: number; kind: 'survey'; sc: SimComplaint; token: number; outcome: 'satisfied' | 'unsatisfied' }
  | { at: number; kind: 'done'; agent: SimAgent; sc: SimComplaint; token: number }
  | { at: number; kind: 'shift'; group: SimAgent[]; on: boolean }
  | { at: number; kind: 'sample' };

/**
 * The simulated now: a Date that writes its ISO form once. The core stamps every change with
 * `now.toISOString()`, a few times per transition: 300,000 conversions of the same few instants in
 * eight simulated days of the large example.
 */
class Instant extends Date {
  #iso: string | undefined;

  override toISOString(): string {
    this.#iso ??= super.toISOString();
    return this.#iso;
  }
}

/** An event in the queue, with its place among events at the same instant. */
class Scheduled {
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly event: SimEvent,
  ) {}
}

const byTime = (a: Scheduled, b: Scheduled) => a.at - b.at || a.seq - b.seq;

/** Whether an event would do nothing: a timer of a wait that has ended (tokens never come back). */
const overtaken = (e: SimEvent) =>
  (e.kind === 'timeout' || e.kind === 'wake' || e.kind === 'survey') && e.sc.token !== e.token;

/**
 * The event queue: a binary heap of the events of the current hour, and a list per later hour that
 * joins the heap when its hour comes. Every wait schedules its timeout, hours or days ahead, and nearly
 * all of them are overtaken by the answer: a single heap held tens of thousands of dead timers, and
 * comparing them took a tenth of a run. Events come out in the same order (time, then
 * the order they were scheduled in) as from one heap; those past the end of the run are dropped.
 */
class EventQueue {
  readonly #heap = new TinyQueue<Scheduled>([], byTime);
  readonly #later: Scheduled[][] = [];
  #seq = 0;
  /** The hours before this one have joined the heap. */
  #nextHour = 0;

  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  push(e: SimEvent) {
    if (e.at > this.end) return;
    const scheduled = new Scheduled(e.at, this.#seq++, e);
    const hour = Math.floor((e.at - this.start) / HOUR);
    if (hour < this.#nextHour) this.#heap.push(scheduled);
    else {
      const later = this.#later[hour];
      if (later) later.push(scheduled);
      else this.#later[hour] = [scheduled];
    }
  }

  pop(): SimEvent | undefined {
    while (this.#heap.length === 0 && this.start + this.#nextHour * HOUR <= this.end) {
      const hour = this.#nextHour++;
      for (const scheduled of this.#later[hour] ?? []) {
        if (!overtaken(scheduled.event)) this.#heap.push(scheduled);
      }
      this.#later[hour] = [];
    }
    return this.#heap.pop()?.event;
  }
}

interface QueueEntry {
  due: number;
  seq: number;
  sc: SimComplaint;
  token: number;
}

const byDue = (a: QueueEntry, b: QueueEntry) => a.due - b.due || a.seq - b.seq;
const perRole = <T>(value: () => T) =>
  Object.fromEntries(agentRoles.map((r) => [r, value()])) as Record<AgentRole, T>;

/** Waits an agent works from a queue, and how long that work takes. */
const queuedWaits: Partial<Record<WaitingFor, keyof Scenario['handling']>> = {
  agent: 'decision',
  approval: 'approval',
  follow_up: 'followUpCall',
  attention: 'decision',
};

/** Runs a scenario; deterministic for its seed. */
export function simulate(scenario: Scenario, options: SimulationOptions = {}): SimulationResult {
  return new Simulation(scenario, options).run();
}

class Simulation {
  readonly policy: Policy;
  readonly graph: WorkflowGraph = storedWorkflowGraph();
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  readonly events: EventQueue;
  readonly queues = perRole(() => new TinyQueue<QueueEntry>([], byDue));
  readonly idle = perRole((): SimAgent[] => []);
  readonly agents: SimAgent[] = [];
  readonly triage: Triage;
  readonly live = new Set<SimComplaint>();
  readonly arrivals: Random;
  readonly staffing = perRole(() => 0);
  now: number;
  #nowDate = new Instant(Number.NaN);
  seq = 0;
  arrivalTimes: number[] = [];
  arrived = 0;
  /** Complaints waiting for someone of the team (in a queue or being worked on). */
  readonly waiting = new Set<SimComplaint>();
  complaints = 0;
  closed = 0;
  wastedWork = 0;
  readonly firstResponse: Record<string, SlaCell> = {};
  readonly resolution: Record<string, SlaCell> = {};
  readonly paths: PathCounts = {};
  readonly samples: Sample[] = [];
  readonly traces: ComplaintTrace[] = [];
  readonly usage: SimulatedUsage = {
    stateTransitions: 0,
    lambdaInvocations: {},
    mailsIn: 0,
    mailsOut: 0,
    teamNotifications: 0,
    apiRequests: 0,
    transitions: 0,
  };

  constructor(
    readonly scenario: Scenario,
    readonly options: SimulationOptions,
  ) {
    this.policy = scenarioPolicy(scenario);
    this.seed = options.seed ?? scenario.seed;
    this.start = Date.parse(scenario.start);
    this.end = this.start + scenario.days * DAY;
    this.now = this.start;
    this.events = new EventQueue(this.start, this.end);
    this.triage = new Triage(this.policy);
    this.arrivals = new Random(this.seed);
  }

  run(): SimulationResult {
    this.arrivalTimes = this.arrivalSchedule();
    this.nextArrival();
    this.scheduleShifts();
    this.push({ at: this.start, kind: 'sample' });
    for (let e = this.events.pop(); e; e = this.events.pop()) {
      this.now = e.at;
      this.handle(e);
    }
    this.now = this.end;
    return this.result();
  }

  push(e: SimEvent) {
    this.events.push(e);
  }

  /** `now` as the core takes it: one Date per instant (the steps of a walk all run at one instant). */
  nowDate(): Date {
    if (this.#nowDate.getTime() !== this.now) this.#nowDate = new Instant(this.now);
    return this.#nowDate;
  }

  /** Arrivals are drawn up front and queued one at a time (a short event queue is a fast one). */
  nextArrival() {
    const at = this.arrivalTimes[this.arrived];
    if (at !== undefined) this.push({ at, kind: 'arrival' });
  }

  // Arrivals: a Poisson process whose rate follows the local hour, the weekday and the peaks.
  arrivalSchedule(): number[] {
    const times: number[] = [];
    const { arrivals } = this.scenario;
    const hourSum = arrivals.hourly.reduce((a, b) => a + b, 0);
    const weekdayMean = arrivals.weekdays.reduce((a, b) => a + b, 0) / 7;
    const timeZone = this.policy.calendar.timeZone;
    for (let hour = this.start; hour < this.end; hour += HOUR) {
      const local = new Date(hour + tzOffset(timeZone, new Date(hour)) * 60_000);
      const weekday = (local.getUTCDay() + 6) % 7;
      const peak = arrivals.peaks
        .filter((p) => hour >= Date.parse(p.from) && hour < Date.parse(p.to))
        .reduce((f, p) => f * p.factor, 1);
      const perHour =
        (arrivals.perDay *
          ((arrivals.weekdays[weekday] ?? 0) / weekdayMean) *
          (arrivals.hourly[local.getUTCHours()] ?? 0)) /
        hourSum;
      const rate = perHour * peak;
      if (rate <= 0) continue;
      for (
        let t = hour + this.arrivals.exponential(HOUR / rate);
        t < hour + HOUR;
        t += this.arrivals.exponential(HOUR / rate)
      ) {
        if (this.options.maxComplaints !== undefined && times.length >= this.options.maxComplaints)
          return times;
        times.push(Math.floor(t));
      }
    }
    return times;
  }

  // Shifts: each group's agents come on and go off together, in the calendar's time zone.
  scheduleShifts() {
    const timeZone = this.policy.calendar.timeZone;
    const groups = new Map<AgentRole, StaffGroup[]>();
    for (const g of this.scenario.staffing) groups.set(g.role, [...(groups.get(g.role) ?? []), g]);
    for (const [role, list] of groups) {
      const headcount = this.options.staffing?.[role];
      list.forEach((group, gi) => {
        // An override spreads the role's headcount over its groups as the scenario did.
        const total = list.reduce((n, g) => n + g.agents, 0);
        const agents =
          headcount === undefined
            ? group.agents
            : total === 0
              ? Math.floor(headcount / list.length) + (gi < headcount % list.length ? 1 : 0)
              : Math.round((headcount * group.agents) / total);
        this.staffing[role] += agents;
        const members: SimAgent[] = [];
        for (let i = 0; i < agents; i++) {
          const a: SimAgent = {
            agent: { kind: 'agent', id: `${role}-${gi + 1}-${i + 1}`, role },
            onShift: false,
            busy: false,
            busySince: 0,
            busyMs: 0,
            shiftSince: 0,
            shiftMs: 0,
          };
          members.push(a);
          this.agents.push(a);
        }
        if (members.length === 0) return;
        const firstDay =
          Math.floor((this.start + tzOffset(timeZone, new Date(this.start)) * 60_000) / DAY) - 1;
        for (let day = firstDay; day * DAY < this.end + DAY; day++) {
          const date = new Date(day * DAY);
          const weekday = ((date.getUTCDay() + 6) % 7) + 1;
          const closesAt = group.offOnClosures
            ? this.policy.calendar.closuresIn(date.getUTCFullYear()).get(date.toISOString().slice(0, 10))
            : undefined;
          for (const shift of group.shifts) {
            if (!shift.days.includes(weekday)) continue;
            const from = minuteOf(shift.start);
            const to = Math.min(minuteOf(shift.end), closesAt ?? Number.POSITIVE_INFINITY);
            if (to <= from) continue;
            const on = localInstant(day, from, timeZone);
            const off = localInstant(day, to, timeZone);
            if (off <= this.start || on >= this.end) continue;
            this.push({ at: Math.max(on, this.start), kind: 'shift', group: members, on: true });
            this.push({ at: Math.min(off, this.end), kind: 'shift', group: members, on: false });
          }
        }
      });
    }
  }

  handle(e: SimEvent) {
    switch (e.kind) {
      case 'arrival':
        this.arrive();
        this.arrived++;
        return this.nextArrival();
      case 'sample':
        this.sample();
        if (this.now + HOUR <= this.end) this.push({ at: this.now + HOUR, kind: 'sample' });
        return;
      case 'shift':
        return this.shift(e.group, e.on);
      case 'timeout':
        return this.timeout(e.sc, e.token);
      case 'wake': {
        const state = this.stateOf(e.sc);
        if (e.sc.token !== e.token || state.type !== 'Wait') return;
        e.sc.token = 0;
        return this.enter(e.sc, state.next);
      }
      case 'reply':
        // During the first wait or the one after the reminder; later, the complaint was closed.
        if (e.sc.token && e.sc.waitingKind === 'customer') {
          this.deliver(e.sc, { action: 'customer_replied' }, customerOf(e.sc));
        }
        return;
      case 'survey':
        if (e.sc.token === e.token) {
          const customer = customerOf(e.sc);
          const answer: FollowUpOutcome = {
            action: 'follow_up',
            outcome: e.outcome,
            by: customer,
            via: 'survey',
          };
          this.usage.apiRequests += 2;
          this.deliver(e.sc, answer, customer);
        }
        return;
      case 'done':
        return this.finishWork(e.agent, e.sc, e.token);
    }
  }

  count(path: string, n = 1) {
    this.paths[path] = (this.paths[path] ?? 0) + n;
  }

  // A customer writes in: the complaint as intake files it, then the workflow starts.
  arrive() {
    const index = this.complaints++;
    const s = this.scenario;
    const rng = new Random(this.seed * 1_000_003 + index + 1);
    const category = rng.pick(s.mix.categories);
    const tone = rng.pick(s.mix.tone);
    const risk = rng.chance(s.mix.risk.rate) ? rng.pick(s.mix.risk.signals) : undefined;
    const type = rng.pick(s.mix.resolutions);
    const amount = type === 'refund' || type === 'credit' ? rng.amount(s.mix.amount) : undefined;
    const at = this.nowDate().toISOString();
    const id = `sim-${index}`;
    const sc: SimComplaint = {
      index,
      c: {
        id,
        reference: `CMP-${index.toString(36).toUpperCase().padStart(6, '0')}`,
        status: 'received',
        tier: 1,
        priority: 'normal',
        customerEmail: `customer${index}@example.org`,
        subject: category,
        threadToken: id,
        createdAt: at,
        updatedAt: at,
        version: 1,
      },
      rng,
      category,
      tone,
      ...(risk ? { risk } : {}),
      resolution: { type, ...(amount !== undefined ? { amount } : {}) },
      needsInformation: rng.chance(s.mix.needsInformation),
      escalates: rng.chance(s.mix.agentEscalation),
      withdrawn: rng.chance(s.mix.withdrawn),
      arrivedAt: this.now,
      waitingSince: this.now,
      state: '',
      data: { complaintId: id },
      token: 0,
      tokens: 0,
      claimed: false,
      replyScheduled: false,
      firstResponded: false,
      resolved: false,
      closed: false,
    };
    if (this.options.trace) {
      sc.trace = { index, arrivedAt: at, category, tone, ...(risk ? { risk } : {}), inputs: [], states: [] };
      this.traces.push(sc.trace);
    }
    this.live.add(sc);
    this.usage.mailsIn++;
    this.usage.transitions++;
    this.invoked('intake');
    this.enter(sc, this.graph.startAt);
  }

  invoked(fn: string) {
    this.usage.lambdaInvocations[fn] = (this.usage.lambdaInvocations[fn] ?? 0) + 1;
  }

  stateOf(sc: SimComplaint): GraphState {
    const state = this.graph.states[sc.state];
    if (!state) throw new Error(`No state ${sc.state} in the workflow`);
    return state;
  }

  /** Walks the workflow from `name` until it waits (for a person or a Wait state) or ends. */
  enter(sc: SimComplaint, name: string) {
    let next: string | undefined = name;
    while (next) {
      sc.state = next;
      sc.trace?.states.push(next);
      this.usage.stateTransitions++;
      this.count(stateKey(next));
      const state = this.stateOf(sc);
      const now = this.nowDate();
      switch (state.type) {
        case 'Succeed':
          return this.finish(sc);
        case 'Choice':
          next = state.choices.find((rule) => ruleMatches(rule, sc.data))?.next ?? state.default;
          if (!next) throw new Error(`${sc.state}: no Choice matched`);
          break;
        case 'Pass':
          sc.data = passParameters(state.parameters, sc.data);
          next = state.next;
          break;
        case 'Wait': {
          const at = Date.parse(String(valueAt(sc.data, state.timestampPath)));
          sc.token = ++sc.tokens;
          this.push({ at: Math.max(at, this.now), kind: 'wake', sc, token: sc.token });
          return;
        }
        case 'Task': {
          this.invoked(state.step);
          if (state.waitForTaskToken) return this.awaitPerson(sc, state, now);
          const result = this.step(sc, state.step, state.constants, now);
          if (state.outputPath === '$.Payload') sc.data = result;
          next = state.next;
          break;
        }
      }
    }
  }

  /**
   * The Lambda steps, as their handlers call the core (each handler's replay guard included, so a step
   * does what the deployed one does when it runs once).
   */
  step(
    sc: SimComplaint,
    step: string,
    constants: Record<string, string>,
    now: Date,
  ): Record<string, unknown> {
    const policy = this.policy;
    const save = (c: Complaint) => {
      sc.c = c;
      this.usage.transitions++;
    };
    switch (step) {
      // The first step acknowledges, then investigates (the simulation's mail never fails).
      case 'acknowledge':
        this.usage.mailsOut++;
        return this.step(sc, 'investigate', constants, now);
      case 'investigate': {
        const found = this.triage.of(sc.category, sc.tone, sc.risk, now);
        save(investigate(sc.c, found, policy, now).complaint);
        sc.priority = sc.c.priority;
        sc.firstResponseDue = Date.parse(sc.c.sla?.dueAt ?? '');
        sc.resolutionClock = startSlaClock(
          now,
          slaBudget(sc.c.priority, 'resolution', policy),
          'resolution',
          policy,
        );
        return workflowState(sc.c, now, { riskEscalation: needsRiskEscalation(sc.c) });
      }
      case 'warnSla':
        if (!slaWarningDone(sc.c, now)) {
          save(warnSla(sc.c, now).complaint);
          this.count('slaWarnings');
        }
        return workflowState(sc.c, now);
      case 'escalate': {
        const cause = constants.cause as EscalationCause;
        if (escalationDone(sc.c, cause, now)) return workflowState(sc.c, now);
        const result = escalate(sc.c, cause, policy, now);
        save(result.complaint);
        this.count(`escalation:${cause}`);
        this.usage.teamNotifications += result.alertManager && result.notifyRole !== 'manager' ? 2 : 1;
        if (result.alertManager) this.count('managerAlerts');
        return workflowState(sc.c, now);
      }
      case 'requeue': {
        const reason = constants.reason as RequeueReason;
        const consumes: Record<RequeueReason, Parameters<typeof pendingFor>> = {
          customer_replied: [sc.c, ['customer_replied']],
          approval_rejected: [sc.c, ['reject']],
          unsatisfied: [sc.c, ['follow_up'], ['unsatisfied']],
        };
        if (!pendingFor(...consumes[reason])) return workflowState(sc.c, now);
        save(requeue(sc.c, reason, policy, now).complaint);
        this.usage.teamNotifications++;
        if (reason === 'customer_replied' && sc.resolutionClock) {
          sc.resolutionClock = resumeSlaClock(sc.resolutionClock, now, policy);
        }
        return workflowState(sc.c, now);
      }
      case 'applyResolution': {
        if (pendingFor(sc.c, ['resolve', 'approve'])) {
          const via = sc.c.pendingDecision?.action === 'approve' ? 'approved' : 'withinAuthority';
          save(applyResolution(sc.c, policy, now).complaint);
          this.count(`resolved:${via}`);
          this.usage.mailsOut++;
          this.recordResolution(sc);
        }
        const followUpAt = new Date(sc.c.followUp?.scheduledFor ?? now);
        const callDue = addBusinessDelay(followUpAt, policy.followUp.callSlaSeconds, policy);
        return {
          complaintId: sc.c.id,
          tier: sc.c.tier,
          followUpAt: followUpAt.toISOString(),
          awaitSeconds: secondsUntil(callDue, followUpAt),
        };
      }
      case 'contactCustomer':
        return this.contactCustomer(sc, constants.kind as string, now, save);
      case 'close': {
        const reason = constants.reason as CloseReason;
        const due =
          reason === 'agent'
            ? pendingFor(sc.c, ['close']) !== undefined
            : reason === 'satisfied'
              ? pendingFor(sc.c, ['follow_up'], ['satisfied']) !== undefined
              : reason === 'abandoned'
                ? sc.c.status === 'awaiting_customer' && waitTimedOut(sc.c, 'customer', now)
                : sc.c.status === 'awaiting_follow_up' && waitTimedOut(sc.c, 'survey', now);
        if (due) {
          if (reason === 'abandoned') this.usage.mailsOut++;
          save(close(sc.c, reason, now).complaint);
          this.count(`closed:${sc.c.closure?.reason}`);
        }
        return { complaintId: sc.c.id, status: sc.c.status, reason: sc.c.closure?.reason };
      }
      default:
        throw new Error(`The simulation has no failures, yet the workflow entered ${step}`);
    }
  }

  contactCustomer(
    sc: SimComplaint,
    kind: string,
    now: Date,
    save: (c: Complaint) => void,
  ): Record<string, unknown> {
    const policy = this.policy;
    if (kind === 'question') {
      const decision = sc.c.status === 'deciding' ? sc.c.pendingDecision : undefined;
      const asked = decision?.action === 'request_info' ? decision : undefined;
      if (asked) this.usage.mailsOut++;
      return workflowState(sc.c, now, {
        awaitSeconds: asked?.awaitSeconds ?? policy.infoRequest.reminderAfterSeconds,
      });
    }
    if (kind === 'reminder') {
      if (waitTimedOut(sc.c, 'customer', now)) save(remindCustomer(sc.c, policy, now).complaint);
      this.usage.mailsOut++;
      this.count('reminders');
      return workflowState(sc.c, now, { awaitSeconds: policy.infoRequest.closeAfterSeconds });
    }
    if (kind === 'unreachable') {
      if (pendingFor(sc.c, ['follow_up'], ['unreachable']))
        save(recordUnreachable(sc.c, policy, now).complaint);
      const attemptsLeft = Math.max(0, policy.followUp.maxCallAttempts - (sc.c.followUp?.attempts ?? 0));
      const retryAt = new Date(sc.c.followUp?.scheduledFor ?? now);
      const callDue = addBusinessDelay(retryAt, policy.followUp.callSlaSeconds, policy);
      return {
        complaintId: sc.c.id,
        tier: sc.c.tier,
        attemptsLeft,
        retryAt: retryAt.toISOString(),
        awaitSeconds: secondsUntil(callDue, retryAt),
      };
    }
    if (!surveySent(sc.c)) save(sendSurvey(sc.c, policy, now).complaint);
    this.usage.mailsOut++;
    return workflowState(sc.c, now, { awaitSeconds: policy.followUp.surveyLinkLifetimeSeconds });
  }

  /** A callback task: the AwaitPerson step registers the wait, then a person or a timeout ends it. */
  awaitPerson(sc: SimComplaint, state: Extract<GraphState, { type: 'Task' }>, now: Date) {
    const kind = state.constants.waitingFor as WaitingFor;
    // The wait's deadline (the due time on the complaint); its timeout may come earlier (the SLA warning).
    const awaitSeconds = Number(valueAt(sc.data, '$.awaitSeconds'));
    const timeoutSeconds = Number(valueAt(sc.data, state.timeoutSecondsPath ?? '$.awaitSeconds'));
    sc.token = ++sc.tokens;
    const token = sc.token;
    const taskToken = `${sc.c.id}:${token}`;
    // The SLA measure of resolution is paused while the customer is asked, as the agent's clock is.
    if (kind === 'customer' && sc.resolutionClock)
      sc.resolutionClock = pauseSlaClock(sc.resolutionClock, now, this.policy);
    sc.c = registerWait(sc.c, taskToken, kind, awaitSeconds, this.policy, now).complaint;
    this.usage.transitions++;
    sc.waitingKind = kind;
    // An agent working the complaint when its wait woke for the SLA warning keeps it (the claim stays).
    sc.claimed = sc.carriedWork !== undefined;
    this.push({ at: this.now + timeoutSeconds * 1000, kind: 'timeout', sc, token });
    const handling = queuedWaits[kind];
    if (handling) {
      this.waiting.add(sc);
      sc.waitingSince = this.now;
      const role = queueOf(sc.c);
      this.queues[role].push({ due: Date.parse(sc.c.slaDueAt ?? ''), seq: this.seq++, sc, token });
      this.dispatch(role);
    } else if (kind === 'customer' && !sc.replyScheduled) {
      sc.replyScheduled = true;
      const reply = this.scenario.customers.infoReply;
      if (sc.rng.chance(reply.share)) {
        this.push({ at: this.now + sc.rng.duration(reply.after) * 1000, kind: 'reply', sc, token });
      }
    } else if (kind === 'survey') {
      const survey = this.scenario.customers.survey;
      if (sc.rng.chance(survey.answers)) {
        const outcome = sc.rng.chance(survey.satisfied) ? 'satisfied' : 'unsatisfied';
        this.push({
          at: this.now + sc.rng.duration(survey.after) * 1000,
          kind: 'survey',
          sc,
          token,
          outcome,
        });
      }
    }
  }

  /** A wait timed out: its Catch leads on (escalation, reminder, close). */
  timeout(sc: SimComplaint, token: number) {
    if (sc.token !== token) return;
    const state = this.stateOf(sc);
    if (state.type !== 'Task' || !state.onTimeout) throw new Error(`${sc.state} has no timeout`);
    sc.trace?.inputs.push({ wait: sc.waitingKind as WaitingFor, timeout: true });
    // The wake at the SLA warning mark ends the wait but not the agent's work on it (their claim stays).
    // Only an agent's wait wakes for the warning: `slaWarning` may be left over in the state from one.
    sc.carriedWork =
      sc.claimed && sc.waitingKind === 'agent' && sc.data.slaWarning === true ? token : undefined;
    this.waiting.delete(sc);
    sc.token = 0;
    sc.claimed = false;
    sc.waitingKind = undefined;
    this.count(`timeout:${sc.state}`);
    sc.data = { ...sc.data, timeout: { Error: 'States.Timeout' } };
    this.enter(sc, state.onTimeout.next);
  }

  /** A person's answer: accepted on the complaint (as the API does), then the task's output. */
  deliver(sc: SimComplaint, decision: Decision, actor: Actor) {
    const state = this.stateOf(sc);
    if (state.type !== 'Task') throw new Error(`${sc.state} is not waiting for a person`);
    const now = this.nowDate();
    const first = !sc.c.firstResponseAt;
    sc.c = acceptDecision(
      sc.c,
      { ...decision, decisionId: `${sc.c.id}-d${sc.c.version}` },
      actor,
      now,
    ).complaint;
    this.usage.transitions++;
    if (first && sc.c.firstResponseAt) this.recordFirstResponse(sc, true);
    sc.trace?.inputs.push({
      wait: sc.waitingKind as WaitingFor,
      ...(actor.role ? { role: actor.role } : {}),
      decision,
    });
    this.waiting.delete(sc);
    sc.token = 0;
    sc.claimed = false;
    sc.waitingKind = undefined;
    sc.data = { ...sc.data, decision };
    this.enter(sc, state.next as string);
  }

  recordFirstResponse(sc: SimComplaint, answered: boolean) {
    if (sc.firstResponded) return;
    sc.firstResponded = true;
    const met = answered && this.now <= (sc.firstResponseDue ?? 0);
    cell(this.firstResponse, `tier${sc.c.tier}|${sc.priority}`, met);
  }

  recordResolution(sc: SimComplaint) {
    if (sc.resolved) return;
    sc.resolved = true;
    const met = sc.resolutionClock ? this.now <= Date.parse(sc.resolutionClock.dueAt) : false;
    cell(this.resolution, `tier${sc.c.tier}|${sc.priority}`, met);
  }

  finish(sc: SimComplaint) {
    sc.closed = true;
    this.closed++;
    this.live.delete(sc);
  }

  // Agents: each takes the complaint due first in their role's queue while on shift.
  dispatch(role: AgentRole) {
    const queue = this.queues[role];
    const idle = this.idle[role];
    while (idle.length > 0 && queue.length > 0) {
      const entry = queue.pop() as QueueEntry;
      if (entry.sc.token !== entry.token || entry.sc.claimed) continue;
      const agent = idle.pop() as SimAgent;
      const kind = entry.sc.waitingKind as WaitingFor;
      entry.sc.claimed = true;
      agent.busy = true;
      agent.busySince = this.now;
      const work = entry.sc.rng.duration(this.scenario.handling[queuedWaits[kind] ?? 'decision']);
      this.push({
        at: this.now + Math.max(1, work * 1000),
        kind: 'done',
        agent,
        sc: entry.sc,
        token: entry.token,
      });
    }
  }

  finishWork(agent: SimAgent, sc: SimComplaint, token: number) {
    agent.busy = false;
    agent.busyMs += this.now - agent.busySince;
    const role = agent.agent.role;
    if (sc.token === token || (sc.carriedWork === token && sc.claimed)) {
      sc.carriedWork = undefined;
      // Read the complaint, post the decision (the agent queue was read when the work started).
      this.usage.apiRequests += 3;
      this.decide(agent.agent, sc);
    } else {
      this.wastedWork++;
    }
    if (agent.onShift) {
      this.idle[role].push(agent);
      this.dispatch(role);
    }
  }

  /** What the person decides, built by the same core functions the API calls. */
  decide(agent: Agent, sc: SimComplaint) {
    const now = this.nowDate();
    const kind = sc.waitingKind;
    if (kind === 'approval') {
      const reject = sc.rng.chance(this.scenario.approvals.rejectRate);
      const verdict = reject
        ? { approve: false as const, reason: 'Offer less first.' }
        : { approve: true as const };
      this.count(reject ? 'approvals:rejected' : 'approvals:approved');
      const applied = appliedSoFar(sc.c, [], this.policy.currency) ?? 0;
      return this.deliver(sc, decideApproval(sc.c, agent, verdict, this.policy, now, applied), agent);
    }
    if (kind === 'follow_up') {
      const { reachable, satisfied } = this.scenario.customers;
      const outcome = !sc.rng.chance(reachable)
        ? 'unreachable'
        : sc.rng.chance(satisfied)
          ? 'satisfied'
          : 'unsatisfied';
      this.count(`followUpCall:${outcome}`);
      return this.deliver(sc, followUpOutcome(agent, outcome, undefined), agent);
    }
    if (sc.withdrawn) {
      sc.withdrawn = false;
      return this.deliver(sc, closeByAgent(agent, 'withdrawn'), agent);
    }
    if (sc.escalates && sc.c.tier < 3) {
      sc.escalates = false;
      return this.deliver(sc, requestEscalation(agent, 'Needs a higher tier.'), agent);
    }
    if (sc.needsInformation) {
      sc.needsInformation = false;
      // Its question is mailed by AskCustomer, the step the decision leads to.
      return this.deliver(sc, requestInfo(agent, 'Could you tell us more?', this.policy), agent);
    }
    const proposal = proposeResolution(
      agent,
      {
        ...sc.resolution,
        summary: 'Resolved.',
        rootCause: 'other',
        ...(sc.resolution.amount !== undefined ? { currency: this.policy.currency } : {}),
      },
      this.policy,
      now,
      // Its complaints carry their total from their first resolution on: the item tells it.
      appliedSoFar(sc.c, [], this.policy.currency) ?? 0,
    );
    if (proposal.action === 'request_approval') this.count(`proposals:${proposal.proposal.approverRole}`);
    return this.deliver(sc, proposal, agent);
  }

  shift(group: SimAgent[], on: boolean) {
    const roles = new Set<AgentRole>();
    for (const a of group) {
      if (a.onShift === on) continue;
      a.onShift = on;
      const role = a.agent.role;
      if (on) {
        a.shiftSince = this.now;
        if (!a.busy) this.idle[role].push(a);
        roles.add(role);
      } else {
        a.shiftMs += this.now - a.shiftSince;
        const i = this.idle[role].indexOf(a);
        if (i >= 0) this.idle[role].splice(i, 1);
      }
    }
    for (const role of roles) this.dispatch(role);
  }

  sample() {
    const queued = perRole(() => 0);
    let approvals = 0;
    let oldest = this.now;
    for (const sc of this.waiting) {
      queued[queueOf(sc.c)]++;
      if (sc.waitingKind === 'approval') approvals++;
      if (sc.waitingSince < oldest) oldest = sc.waitingSince;
    }
    const onShift = perRole(() => 0);
    const busy = perRole(() => 0);
    for (const a of this.agents) {
      if (a.onShift) onShift[a.agent.role]++;
      if (a.busy) busy[a.agent.role]++;
    }
    this.samples.push({
      at: this.nowDate().toISOString(),
      open: this.live.size,
      queued,
      approvalsWaiting: approvals,
      oldestWaitingHours: round((this.now - oldest) / HOUR, 1),
      onShift,
      busy,
    });
  }

  result(): SimulationResult {
    // Complaints still unanswered past their first-response target count as missed.
    for (const sc of this.live) {
      if (!sc.firstResponded && sc.firstResponseDue !== undefined && this.now > sc.firstResponseDue) {
        this.recordFirstResponse(sc, false);
      }
      if (
        !sc.resolved &&
        sc.resolutionClock &&
        !sc.resolutionClock.pausedAt &&
        this.now > Date.parse(sc.resolutionClock.dueAt)
      ) {
        this.recordResolution(sc);
      }
    }
    const busy = perRole(() => 0);
    const shift = perRole(() => 0);
    for (const a of this.agents) {
      const role = a.agent.role;
      busy[role] += a.busyMs + (a.busy ? this.now - a.busySince : 0);
      shift[role] += a.shiftMs + (a.onShift ? this.now - a.shiftSince : 0);
    }
    return {
      scenario: this.scenario.name,
      seed: this.seed,
      start: new Date(this.start).toISOString(),
      end: new Date(this.end).toISOString(),
      staffing: this.staffing,
      complaints: this.complaints,
      closed: this.closed,
      openAtEnd: this.live.size,
      firstResponse: sortKeys(this.firstResponse),
      resolution: sortKeys(this.resolution),
      paths: sortKeys(this.paths),
      utilisation: perRoleOf((r) => (shift[r] > 0 ? round(Math.min(1, busy[r] / shift[r]), 3) : 0)),
      wastedWork: this.wastedWork,
      samples: this.samples,
      usage: { ...this.usage, lambdaInvocations: sortKeys(this.usage.lambdaInvocations) },
      ...(this.options.trace ? { traces: this.traces } : {}),
    };
  }
}

const stateKeys = new Map<string, string>();
/** `state:<name>`, built once per state (a run counts millions of state entries). */
function stateKey(name: string): string {
  let key = stateKeys.get(name);
  if (!key) {
    key = `state:${name}`;
    stateKeys.set(name, key);
  }
  return key;
}

function customerOf(sc: SimComplaint): Actor {
  return { kind: 'customer', id: sc.c.customerEmail, email: sc.c.customerEmail };
}

function cell(cells: Record<string, SlaCell>, key: string, met: boolean) {
  const c = cells[key] ?? { met: 0, missed: 0 };
  if (met) c.met++;
  else c.missed++;
  cells[key] = c;
}

function minuteOf(clock: string): number {
  const [h = 0, m = 0] = clock.split(':').map(Number);
  return h * 60 + m;
}

/** The instant of a local wall-clock minute on a local day number (days since 1970-01-01). */
function localInstant(day: number, minute: number, timeZone: string): number {
  const wall = day * DAY + minute * 60_000;
  const guess = wall - tzOffset(timeZone, new Date(wall)) * 60_000;
  return wall - tzOffset(timeZone, new Date(guess)) * 60_000;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function perRoleOf<T>(value: (role: AgentRole) => T): Record<AgentRole, T> {
  return Object.fromEntries(agentRoles.map((r) => [r, value(r)])) as Record<AgentRole, T>;
}
