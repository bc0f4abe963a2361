//! The one Diesel schema both engines share (hand-written to match both migration folders;
//! the parity test checks the migrated databases agree with each other).

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        public_id -> Text,
        name -> Text,
        role -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        last_seq -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        token_id -> BigInt,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        status_code -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    vendors (id) {
        id -> BigInt,
        name -> Text,
        tax_id -> Nullable<Text>,
        emails -> Text,
        status -> Text,
        notes -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    vendor_tags (vendor_id, tag) {
        vendor_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        currency -> Text,
        status -> Text,
        pm_name -> Nullable<Text>,
        pm_email -> Nullable<Text>,
        finance_owner_name -> Nullable<Text>,
        finance_owner_email -> Nullable<Text>,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        alert_thresholds -> Text,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    budget_lines (id) {
        id -> BigInt,
        project_id -> BigInt,
        category -> Text,
        cost_center -> Text,
        description -> Nullable<Text>,
        currency -> Text,
        amount_units -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    budget_line_months (budget_line_id, month) {
        budget_line_id -> BigInt,
        month -> Text,
        amount_units -> BigInt,
    }
}

diesel::table! {
    fx_rates (id) {
        id -> BigInt,
        from_currency -> Text,
        to_currency -> Text,
        rate_date -> Date,
        rate -> Text,
        source -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(budget_lines -> projects (project_id));
diesel::joinable!(budget_line_months -> budget_lines (budget_line_id));
diesel::joinable!(vendor_tags -> vendors (vendor_id));
diesel::joinable!(idempotency_keys -> api_tokens (token_id));

diesel::table! {
    contracts (id) {
        id -> BigInt,
        number -> Text,
        vendor_id -> BigInt,
        title -> Text,
        contract_type -> Text,
        currency -> Text,
        ceiling_units -> BigInt,
        start_date -> Date,
        initial_term_months -> Integer,
        renewal_kind -> Text,
        renewal_term_months -> Nullable<Integer>,
        max_renewals -> Nullable<Integer>,
        notice_unit -> Text,
        notice_value -> Integer,
        document_urls -> Text,
        status -> Text,
        renewals_recorded -> Integer,
        notice_given_on -> Nullable<Date>,
        terminated_on -> Nullable<Date>,
        termination_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        scope -> Nullable<Text>,
    }
}

diesel::table! {
    contract_projects (contract_id, project_id) {
        contract_id -> BigInt,
        project_id -> BigInt,
    }
}

diesel::joinable!(contracts -> vendors (vendor_id));
diesel::joinable!(contract_projects -> contracts (contract_id));
diesel::joinable!(contract_projects -> projects (project_id));

diesel::table! {
    slas (id) {
        id -> BigInt,
        contract_id -> BigInt,
        name -> Text,
        metric -> Text,
        direction -> Text,
        unit -> Text,
        target -> Text,
        currency -> Text,
        period_fee_units -> BigInt,
        tiers -> Text,
        cap -> Nullable<Text>,
        minimum_credit_units -> Nullable<BigInt>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sla_measurements (id) {
        id -> BigInt,
        sla_id -> BigInt,
        period -> Text,
        measured_value -> Nullable<Text>,
        downtime_minutes -> Nullable<Text>,
        value -> Text,
        met -> Bool,
        tier -> Nullable<Integer>,
        credit_units -> BigInt,
        credit_status -> Text,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(slas -> contracts (contract_id));
diesel::joinable!(sla_measurements -> slas (sla_id));

diesel::table! {
    contract_change_orders (id) {
        id -> BigInt,
        contract_id -> BigInt,
        sequence -> Integer,
        reason -> Text,
        new_ceiling_units -> Nullable<BigInt>,
        new_initial_term_months -> Nullable<Integer>,
        new_scope -> Nullable<Text>,
        before_ceiling_units -> Nullable<BigInt>,
        before_initial_term_months -> Nullable<Integer>,
        before_scope -> Nullable<Text>,
        status -> Text,
        proposed_by -> Text,
        proposed_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
        version -> BigInt,
    }
}

diesel::joinable!(contract_change_orders -> contracts (contract_id));

diesel::table! {
    sows (id) {
        id -> BigInt,
        contract_id -> BigInt,
        project_id -> BigInt,
        title -> Text,
        scope -> Nullable<Text>,
        deliverables -> Text,
        value_units -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    milestones (id) {
        id -> BigInt,
        sow_id -> BigInt,
        name -> Text,
        amount_units -> BigInt,
        due_date -> Date,
        acceptance_criteria -> Text,
        status -> Text,
        submitted_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_comment -> Nullable<Text>,
        version -> BigInt,
    }
}

diesel::joinable!(sows -> contracts (contract_id));
diesel::joinable!(milestones -> sows (sow_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    audit_head,
    audit_log,
    idempotency_keys,
    vendors,
    vendor_tags,
    projects,
    budget_lines,
    budget_line_months,
    fx_rates,
    contracts,
    contract_projects,
    slas,
    sla_measurements,
    contract_change_orders,
    sows,
    milestones,
);
