/**
 * The small, realistic vocabularies generated alarms and events draw from.
 *
 * Contract: constant data only. Rule fields travel together (intent, strategy, method
 * and the MITRE ATT&CK mapping of one detection rule), because real alarms never mix
 * the intent of one rule with the method of another; filters in tests rely on a few
 * values being common. The priority bands are the one place that maps a numeric
 * priority to its label, so the two always agree.
 */

export const ALARM_STATUSES = ['open', 'closed', 'in_review'] as const;
export type AlarmStatus = (typeof ALARM_STATUSES)[number];

export const PRIORITY_LABELS = ['low', 'medium', 'high'] as const;
export type PriorityLabel = (typeof PRIORITY_LABELS)[number];

/**
 * low < 40 <= medium < 60 <= high. The vendor does not publish the bands; these agree
 * with every sample (20 → low, 60 → high, 80 → high).
 */
export function priorityLabelOf(priority: number): PriorityLabel {
  if (priority < 40) return 'low';
  if (priority < 60) return 'medium';
  return 'high';
}

/** A representative priority for a label, when a caller names only the label. */
export const PRIORITY_OF_LABEL: Record<PriorityLabel, number> = { low: 20, medium: 50, high: 80 };

export const PRIORITIES = [10, 20, 30, 40, 50, 60, 70, 80, 90] as const;
/** Low and medium alarms outnumber high ones, as in a real queue. */
export const PRIORITY_WEIGHTS = [6, 10, 8, 8, 6, 4, 3, 2, 1] as const;

export interface DetectionRule {
  rule_id: string;
  rule_intent: string;
  rule_strategy: string;
  rule_method: string;
  rule_attack_id: string;
  rule_attack_tactic: string[];
  rule_attack_technique: string;
}

export const DETECTION_RULES: readonly DetectionRule[] = [
  {
    rule_id: 'rule-3',
    rule_intent: 'Reconnaissance & Probing',
    rule_strategy: 'Network Scanning',
    rule_method: 'Nmap',
    rule_attack_id: 'T1046',
    rule_attack_tactic: ['TA0007 - Discovery'],
    rule_attack_technique: 'T1046 - Network Service Scanning',
  },
  {
    rule_id: 'rule-7',
    rule_intent: 'Reconnaissance & Probing',
    rule_strategy: 'Network Scanning',
    rule_method: 'Port Sweep',
    rule_attack_id: 'T1046',
    rule_attack_tactic: ['TA0007 - Discovery'],
    rule_attack_technique: 'T1046 - Network Service Scanning',
  },
  {
    rule_id: 'rule-15',
    rule_intent: 'Delivery & Attack',
    rule_strategy: 'Credential Abuse',
    rule_method: 'Suspicious Login',
    rule_attack_id: 'T1078',
    rule_attack_tactic: ['TA0001 - Initial Access', 'TA0003 - Persistence'],
    rule_attack_technique: 'T1078 - Valid Accounts',
  },
  {
    rule_id: 'rule-16',
    rule_intent: 'Delivery & Attack',
    rule_strategy: 'Credential Abuse',
    rule_method: 'Brute Force',
    rule_attack_id: 'T1110',
    rule_attack_tactic: ['TA0006 - Credential Access'],
    rule_attack_technique: 'T1110 - Brute Force',
  },
  {
    rule_id: 'rule-22',
    rule_intent: 'Exploitation & Installation',
    rule_strategy: 'Malware Infection',
    rule_method: 'Malicious Executable',
    rule_attack_id: 'T1204',
    rule_attack_tactic: ['TA0002 - Execution'],
    rule_attack_technique: 'T1204 - User Execution',
  },
  {
    rule_id: 'rule-24',
    rule_intent: 'Exploitation & Installation',
    rule_strategy: 'Web Exploitation',
    rule_method: 'Web Shell Upload',
    rule_attack_id: 'T1505.003',
    rule_attack_tactic: ['TA0003 - Persistence'],
    rule_attack_technique: 'T1505.003 - Web Shell',
  },
  {
    rule_id: 'rule-31',
    rule_intent: 'System Compromise',
    rule_strategy: 'Command and Control Communication',
    rule_method: 'Known Bad Domain',
    rule_attack_id: 'T1071',
    rule_attack_tactic: ['TA0011 - Command and Control'],
    rule_attack_technique: 'T1071 - Application Layer Protocol',
  },
  {
    rule_id: 'rule-35',
    rule_intent: 'System Compromise',
    rule_strategy: 'Data Exfiltration',
    rule_method: 'Large Outbound Transfer',
    rule_attack_id: 'T1048',
    rule_attack_tactic: ['TA0010 - Exfiltration'],
    rule_attack_technique: 'T1048 - Exfiltration Over Alternative Protocol',
  },
  {
    rule_id: 'rule-42',
    rule_intent: 'Environmental Awareness',
    rule_strategy: 'Cloud Security',
    rule_method: 'Root Account Usage',
    rule_attack_id: 'T1078.004',
    rule_attack_tactic: ['TA0004 - Privilege Escalation'],
    rule_attack_technique: 'T1078.004 - Cloud Accounts',
  },
  {
    rule_id: 'rule-44',
    rule_intent: 'Environmental Awareness',
    rule_strategy: 'Policy Violation',
    rule_method: 'Audit Logging Disabled',
    rule_attack_id: 'T1562.008',
    rule_attack_tactic: ['TA0005 - Defense Evasion'],
    rule_attack_technique: 'T1562.008 - Disable Cloud Logs',
  },
];

export const EVENT_PLUGINS = ['Windows EventLog', 'Suricata', 'AWS CloudTrail', 'Okta', 'Linux Syslog'] as const;

export const EVENT_NAMES = [
  'Failed Login',
  'Successful Login',
  'Port Scan',
  'DNS Query',
  'Process Start',
  'File Created',
  'PutObject',
  'ConsoleLogin',
] as const;

export const USERNAMES = ['alice', 'bob', 'carol', 'dave', 'svc-backup', 'administrator'] as const;

/** `account_name` values events carry; `generic-account` is the vendor spec's example. */
export const ACCOUNT_NAMES = ['generic-account', 'aws-production', 'azure-corp'] as const;

export const COUNTRIES = ['US', 'GB', 'DE', 'NL', 'SG', 'BR'] as const;

/** Label ids as real alarms carry them: not UUIDs (the vendor spec says UUID; see README). */
export const LABEL_IDS = ['lbl-escalated', 'lbl-false-positive', 'lbl-needs-triage'] as const;

export const HIGHLIGHT_FIELDS = ['source_name', 'rule_method'] as const;
