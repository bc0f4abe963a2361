//! The permission table: which role may perform which action. The one place this is decided;
//! the API test suite walks it as a matrix over HTTP.

use super::model::Role;

/// Something a caller can ask Procura to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// List and read vendors.
    ReadVendors,
    /// Create, change, block and archive vendors.
    WriteVendors,
    /// List and read projects.
    ReadProjects,
    /// Create, change and archive projects.
    WriteProjects,
    /// List and read budget lines.
    ReadBudgets,
    /// Create and change budget lines.
    WriteBudgets,
    /// Propose a change to a budget line's amount or phasing.
    ProposeBudgetChanges,
    /// Approve or reject proposed budget changes.
    DecideBudgetChanges,
    /// Enter estimates to complete and progress for the forecast.
    WriteForecasts,
    /// Close a project whose closeout checklist is clear (or waived).
    CloseProjects,
    /// Waive a closeout checklist item with a reason.
    WaiveCloseoutItems,
    /// Reopen a closed project, with a reason.
    ReopenProjects,
    /// List and read FX rates, convert amounts.
    ReadFxRates,
    /// Create and change FX rates.
    WriteFxRates,
    /// List and read contracts and their schedules.
    ReadContracts,
    /// Draft, change, activate, renew, give notice on and terminate contracts.
    WriteContracts,
    /// Accept or reject SOW milestones.
    AcceptMilestones,
    /// Read purchase orders, receipts and invoices.
    ReadPurchasing,
    /// Raise, change, submit, issue, cancel and close purchase orders.
    WritePurchaseOrders,
    /// Approve or reject purchase orders (the approval bands narrow this further).
    ApprovePurchaseOrders,
    /// Record receipts and returns.
    ReceiveGoods,
    /// Read the asset register.
    ReadAssets,
    /// Register, move and change the status of assets.
    WriteAssets,
    /// Record invoices, credit memos and payments.
    WriteInvoices,
    /// Approve, release or reject invoices.
    ApproveInvoices,
    /// Change invoice-matching tolerances.
    WriteTolerances,
    /// Read the alert outbox.
    ReadAlerts,
    /// Run the scheduled checks now and resend alerts.
    ManageAlerts,
    /// Read RFPs, their criteria, bids (sealed until opened) and rankings; evaluators read only
    /// the RFPs they are assigned to, and no ranking.
    ReadRfps,
    /// Draft RFPs, set criteria, invite vendors, assign evaluators, record bids and consensus
    /// scores, and move RFPs through their lifecycle.
    ManageRfps,
    /// Declare conflicts and score bids of assigned RFPs.
    EvaluateBids,
    /// Award an evaluated RFP (procurement only, and never someone who evaluated it).
    AwardRfps,
    /// Read and verify the audit log.
    ReadAudit,
    /// Scrape the Prometheus metrics.
    ReadMetrics,
}

impl Action {
    /// Every action, in a stable order.
    pub const ALL: [Action; 34] = [
        Action::ReadVendors,
        Action::WriteVendors,
        Action::ReadProjects,
        Action::WriteProjects,
        Action::ReadBudgets,
        Action::WriteBudgets,
        Action::ProposeBudgetChanges,
        Action::DecideBudgetChanges,
        Action::WriteForecasts,
        Action::CloseProjects,
        Action::WaiveCloseoutItems,
        Action::ReopenProjects,
        Action::ReadFxRates,
        Action::WriteFxRates,
        Action::ReadContracts,
        Action::WriteContracts,
        Action::AcceptMilestones,
        Action::ReadPurchasing,
        Action::WritePurchaseOrders,
        Action::ApprovePurchaseOrders,
        Action::ReceiveGoods,
        Action::ReadAssets,
        Action::WriteAssets,
        Action::WriteInvoices,
        Action::ApproveInvoices,
        Action::WriteTolerances,
        Action::ReadAlerts,
        Action::ManageAlerts,
        Action::ReadRfps,
        Action::ManageRfps,
        Action::EvaluateBids,
        Action::AwardRfps,
        Action::ReadAudit,
        Action::ReadMetrics,
    ];

    /// The action in words, for a 403.
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadVendors => "read vendors",
            Action::WriteVendors => "change vendors",
            Action::ReadProjects => "read projects",
            Action::WriteProjects => "change projects",
            Action::ReadBudgets => "read budget lines",
            Action::WriteBudgets => "change budget lines",
            Action::ProposeBudgetChanges => "propose budget changes",
            Action::DecideBudgetChanges => "approve or reject budget changes",
            Action::WriteForecasts => "enter estimates to complete and progress",
            Action::CloseProjects => "close projects",
            Action::WaiveCloseoutItems => "waive closeout items",
            Action::ReopenProjects => "reopen closed projects",
            Action::ReadFxRates => "read FX rates",
            Action::WriteFxRates => "change FX rates",
            Action::ReadContracts => "read contracts",
            Action::WriteContracts => "change contracts",
            Action::AcceptMilestones => "accept or reject milestones",
            Action::ReadPurchasing => "read purchase orders, receipts and invoices",
            Action::WritePurchaseOrders => "raise and change purchase orders",
            Action::ApprovePurchaseOrders => "approve purchase orders",
            Action::ReceiveGoods => "record receipts and returns",
            Action::ReadAssets => "read assets",
            Action::WriteAssets => "register and move assets",
            Action::WriteInvoices => "record invoices and payments",
            Action::ApproveInvoices => "approve, release or reject invoices",
            Action::WriteTolerances => "change matching tolerances",
            Action::ReadAlerts => "read alerts",
            Action::ManageAlerts => "run checks and resend alerts",
            Action::ReadRfps => "read RFPs",
            Action::ManageRfps => "run RFPs",
            Action::EvaluateBids => "evaluate bids",
            Action::AwardRfps => "award RFPs",
            Action::ReadAudit => "read the audit log",
            Action::ReadMetrics => "read metrics",
        }
    }
}

use Role::{Admin, Evaluator, Finance, Pm, Procurement, Viewer};

/// Role × action. Evaluators appear in no row here: they see only the RFPs they are assigned.
pub const PERMISSIONS: &[(Action, &[Role])] = &[
    (
        Action::ReadVendors,
        &[Admin, Procurement, Finance, Pm, Viewer],
    ),
    (Action::WriteVendors, &[Admin, Procurement]),
    (
        Action::ReadProjects,
        &[Admin, Procurement, Finance, Pm, Viewer],
    ),
    (Action::WriteProjects, &[Admin, Pm]),
    (
        Action::ReadBudgets,
        &[Admin, Procurement, Finance, Pm, Viewer],
    ),
    (Action::WriteBudgets, &[Admin, Finance]),
    (Action::ProposeBudgetChanges, &[Admin, Finance, Pm]),
    (Action::DecideBudgetChanges, &[Admin, Finance]),
    (Action::WriteForecasts, &[Admin, Pm]),
    (Action::CloseProjects, &[Admin, Finance, Pm]),
    (Action::WaiveCloseoutItems, &[Admin, Finance]),
    (Action::ReopenProjects, &[Admin]),
    (
        Action::ReadFxRates,
        &[Admin, Procurement, Finance, Pm, Viewer],
    ),
    (Action::WriteFxRates, &[Admin, Finance]),
    (
        Action::ReadContracts,
        &[Admin, Procurement, Finance, Pm, Viewer],
    ),
    (Action::WriteContracts, &[Admin, Procurement]),
    (Action::AcceptMilestones, &[Admin, Pm]),
    (
        Action::ReadPurchasing,
        &[Admin, Procurement, Finance, Pm, Viewer],
    ),
    (Action::WritePurchaseOrders, &[Admin, Procurement, Pm]),
    (
        Action::ApprovePurchaseOrders,
        &[Admin, Procurement, Finance],
    ),
    (Action::ReceiveGoods, &[Admin, Procurement, Pm]),
    (
        Action::ReadAssets,
        &[Admin, Procurement, Finance, Pm, Viewer],
    ),
    (Action::WriteAssets, &[Admin, Procurement, Pm]),
    (Action::WriteInvoices, &[Admin, Finance]),
    (Action::ApproveInvoices, &[Admin, Finance]),
    (Action::WriteTolerances, &[Admin, Finance]),
    (Action::ReadAlerts, &[Admin, Procurement, Finance, Pm]),
    (Action::ManageAlerts, &[Admin]),
    (
        Action::ReadRfps,
        &[Admin, Procurement, Finance, Pm, Evaluator, Viewer],
    ),
    (Action::ManageRfps, &[Admin, Procurement]),
    (Action::EvaluateBids, &[Evaluator]),
    // The sourcing rules name procurement alone for awards: an admin token is not a buyer.
    (Action::AwardRfps, &[Procurement]),
    (Action::ReadAudit, &[Admin, Finance]),
    (Action::ReadMetrics, &[Admin, Viewer]),
];

/// True when `role` may perform `action`.
pub fn is_allowed(role: Role, action: Action) -> bool {
    PERMISSIONS
        .iter()
        .any(|(a, roles)| *a == action && roles.contains(&role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row_and_admin_may_do_nearly_everything() {
        // Evaluators act only on sourcing; admins do everything but score bids (they are not
        // on a panel) and award (procurement's decision).
        let evaluator_actions = [Action::ReadRfps, Action::EvaluateBids];
        let not_admin = [Action::EvaluateBids, Action::AwardRfps];
        for action in Action::ALL {
            assert_eq!(
                PERMISSIONS.iter().filter(|(a, _)| *a == action).count(),
                1,
                "{action:?}"
            );
            assert_eq!(
                is_allowed(Role::Admin, action),
                !not_admin.contains(&action),
                "{action:?}"
            );
            assert_eq!(
                is_allowed(Role::Evaluator, action),
                evaluator_actions.contains(&action),
                "{action:?}"
            );
        }
    }

    #[test]
    fn viewers_never_write() {
        for action in [
            Action::WriteVendors,
            Action::WriteProjects,
            Action::WriteBudgets,
            Action::WriteFxRates,
        ] {
            assert!(!is_allowed(Role::Viewer, action));
        }
    }
}
