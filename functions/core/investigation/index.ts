/**
 * Investigation step's domain core: one entry point (`investigateComplaint`) and the small rules it is
 * made of, each usable on its own (the recurring-issue window is counted by the repository).
 */
export {
  type CustomerHistory,
  createdWithin,
  isOpenComplaint,
  type PastComplaint,
  summariseCustomerHistory,
  unsatisfiedFollowUps,
} from './customerHistory';
export { findPossibleDuplicates, isSimilarSubject, subjectWords } from './duplicates';
export { type Investigation, type InvestigationInput, investigateComplaint } from './investigateComplaint';
export { isRecurring, type RecurringWindow, recurringWindow } from './recurring';
export { detectRiskSignals, type RiskFinding, type RiskSignal } from './riskSignals';
export {
  assessSentiment,
  type ComplaintCategory,
  classifyCategory,
  complaintCategories,
  complaintPriority,
  findSafetyConcern,
  isStronglyNegative,
  type PriorityFactors,
  type SentimentAssessment,
  soundsMild,
} from './triage';
