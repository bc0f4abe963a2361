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
        budget_policy -> Text,
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
        measurement_period -> Text,
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

diesel::table! {
    number_sequences (name) {
        name -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    alerts (id) {
        id -> BigInt,
        dedupe_key -> Text,
        kind -> Text,
        project_id -> Nullable<BigInt>,
        subject -> Text,
        body -> Text,
        recipients -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        html_body -> Nullable<Text>,
    }
}

diesel::table! {
    purchase_orders (id) {
        id -> BigInt,
        number -> Text,
        vendor_id -> BigInt,
        project_id -> BigInt,
        contract_id -> Nullable<BigInt>,
        currency -> Text,
        budget_currency -> Text,
        fx_rate -> Text,
        order_date -> Date,
        status -> Text,
        revision -> BigInt,
        requested_by -> Text,
        requested_by_token -> BigInt,
        notes -> Nullable<Text>,
        net_units -> BigInt,
        tax_units -> BigInt,
        total_units -> BigInt,
        net_budget_units -> BigInt,
        approved_net_budget_units -> BigInt,
        approvals_required -> BigInt,
        status_reason -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        approved_at -> Nullable<Timestamp>,
        issued_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    purchase_order_lines (id) {
        id -> BigInt,
        po_id -> BigInt,
        line_no -> BigInt,
        description -> Text,
        quantity -> Text,
        unit -> Text,
        unit_price -> Text,
        tax_percent -> Text,
        budget_line_id -> BigInt,
        is_asset -> Bool,
        asset_category -> Nullable<Text>,
        promised_date -> Nullable<Date>,
        net_units -> BigInt,
        tax_units -> BigInt,
        net_budget_units -> BigInt,
        quantity_received -> Text,
        quantity_invoiced -> Text,
        released_budget_units -> BigInt,
        accrued_budget_units -> BigInt,
    }
}

diesel::table! {
    purchase_order_approvals (id) {
        id -> BigInt,
        po_id -> BigInt,
        revision -> BigInt,
        approver -> Text,
        approver_token -> BigInt,
        role -> Text,
        approved_at -> Timestamp,
        override_reason -> Nullable<Text>,
    }
}

diesel::table! {
    purchase_order_revisions (id) {
        id -> BigInt,
        po_id -> BigInt,
        revision -> BigInt,
        status -> Text,
        snapshot -> Text,
        proposal -> Text,
        reason -> Text,
        changed_by -> Text,
        changed_by_token -> BigInt,
        changed_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    receipts (id) {
        id -> BigInt,
        number -> Text,
        po_id -> BigInt,
        kind -> Text,
        reverses_receipt_id -> Nullable<BigInt>,
        received_on -> Date,
        received_by -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    receipt_lines (id) {
        id -> BigInt,
        receipt_id -> BigInt,
        po_line_id -> BigInt,
        quantity -> Text,
    }
}

diesel::table! {
    invoices (id) {
        id -> BigInt,
        number -> Text,
        normalised_number -> Text,
        vendor_id -> BigInt,
        kind -> Text,
        original_invoice_id -> Nullable<BigInt>,
        sla_measurement_id -> Nullable<BigInt>,
        invoice_date -> Date,
        due_date -> Nullable<Date>,
        currency -> Text,
        net_units -> BigInt,
        tax_units -> BigInt,
        total_units -> BigInt,
        status -> Text,
        hold_reasons -> Text,
        created_by -> Text,
        created_by_token -> BigInt,
        decided_by -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        paid_units -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    invoice_lines (id) {
        id -> BigInt,
        invoice_id -> BigInt,
        line_no -> BigInt,
        po_line_id -> Nullable<BigInt>,
        milestone_id -> Nullable<BigInt>,
        budget_line_id -> BigInt,
        description -> Text,
        quantity -> Text,
        unit_price -> Text,
        tax_percent -> Text,
        net_units -> BigInt,
        tax_units -> BigInt,
        fx_rate -> Text,
        net_budget_units -> BigInt,
        match_result -> Text,
    }
}

diesel::table! {
    invoice_payments (id) {
        id -> BigInt,
        invoice_id -> BigInt,
        amount_units -> BigInt,
        paid_on -> Date,
        reference -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    match_tolerances (id) {
        id -> BigInt,
        scope_key -> Text,
        vendor_id -> Nullable<BigInt>,
        contract_id -> Nullable<BigInt>,
        price_percent -> Nullable<Text>,
        price_absolute -> Nullable<Text>,
        quantity_percent -> Nullable<Text>,
        quantity_absolute -> Nullable<Text>,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assets (id) {
        id -> BigInt,
        tag -> Text,
        status -> Text,
        category -> Text,
        description -> Text,
        po_line_id -> BigInt,
        receipt_id -> BigInt,
        vendor_id -> BigInt,
        project_id -> BigInt,
        contract_id -> Nullable<BigInt>,
        invoice_line_id -> Nullable<BigInt>,
        cost_units -> Nullable<BigInt>,
        cost_currency -> Text,
        serial_number -> Nullable<Text>,
        site -> Nullable<Text>,
        room -> Nullable<Text>,
        rack -> Nullable<Text>,
        rack_unit -> Nullable<Text>,
        in_service_date -> Nullable<Date>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    asset_events (id) {
        id -> BigInt,
        asset_id -> BigInt,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        location -> Nullable<Text>,
        note -> Nullable<Text>,
        actor -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    budget_threshold_states (project_id, measure, threshold) {
        project_id -> BigInt,
        measure -> Text,
        threshold -> Text,
        crossed -> Bool,
        crossings -> BigInt,
    }
}

diesel::joinable!(sows -> contracts (contract_id));
diesel::joinable!(milestones -> sows (sow_id));
diesel::joinable!(purchase_order_lines -> purchase_orders (po_id));
diesel::joinable!(purchase_order_approvals -> purchase_orders (po_id));
diesel::joinable!(receipt_lines -> receipts (receipt_id));
diesel::joinable!(invoice_lines -> invoices (invoice_id));
diesel::joinable!(invoice_lines -> purchase_order_lines (po_line_id));
diesel::joinable!(invoice_lines -> milestones (milestone_id));
diesel::joinable!(invoice_lines -> budget_lines (budget_line_id));
diesel::joinable!(invoice_payments -> invoices (invoice_id));
diesel::joinable!(asset_events -> assets (asset_id));
diesel::joinable!(assets -> purchase_order_lines (po_line_id));

diesel::table! {
    budget_change_requests (id) {
        id -> BigInt,
        budget_line_id -> BigInt,
        status -> Text,
        base_version -> BigInt,
        base_amount_units -> BigInt,
        base_months -> Text,
        amount_units -> BigInt,
        months -> Text,
        reason -> Text,
        proposed_by -> Text,
        proposed_by_token -> BigInt,
        proposed_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_by_token -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
    }
}

diesel::table! {
    budget_line_estimates (id) {
        id -> BigInt,
        budget_line_id -> BigInt,
        amount_units -> BigInt,
        note -> Nullable<Text>,
        entered_by -> Text,
        entered_at -> Timestamp,
    }
}

diesel::table! {
    progress_records (id) {
        id -> BigInt,
        project_id -> BigInt,
        budget_line_id -> Nullable<BigInt>,
        month -> Text,
        percent_complete -> Text,
        note -> Nullable<Text>,
        entered_by -> Text,
        entered_at -> Timestamp,
    }
}

diesel::joinable!(budget_change_requests -> budget_lines (budget_line_id));
diesel::joinable!(budget_line_estimates -> budget_lines (budget_line_id));
diesel::joinable!(progress_records -> projects (project_id));

diesel::table! {
    rfps (id) {
        id -> BigInt,
        number -> Text,
        title -> Text,
        description -> Nullable<Text>,
        project_id -> Nullable<BigInt>,
        currency -> Text,
        status -> Text,
        due_at -> Nullable<Timestamp>,
        blind -> Bool,
        normalisation -> Text,
        price_method -> Text,
        technical_threshold -> Nullable<Text>,
        outlier_share -> Text,
        consensus_required -> Bool,
        status_reason -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        prices_opened_at -> Nullable<Timestamp>,
        evaluated_at -> Nullable<Timestamp>,
        created_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rfp_invitations (rfp_id, vendor_id) {
        rfp_id -> BigInt,
        vendor_id -> BigInt,
        invited_at -> Timestamp,
    }
}

diesel::table! {
    rfp_sections (id) {
        id -> BigInt,
        rfp_id -> BigInt,
        position -> BigInt,
        name -> Text,
        weight -> Text,
    }
}

diesel::table! {
    rfp_criteria (id) {
        id -> BigInt,
        rfp_id -> BigInt,
        section_id -> BigInt,
        position -> BigInt,
        name -> Text,
        description -> Nullable<Text>,
        kind -> Text,
        max_score -> Nullable<Text>,
        weight -> Text,
    }
}

diesel::table! {
    rfp_evaluators (id) {
        id -> BigInt,
        rfp_id -> BigInt,
        name -> Text,
        assigned_by -> Text,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    rfp_conflicts (evaluator_id, vendor_id) {
        evaluator_id -> BigInt,
        vendor_id -> BigInt,
        note -> Nullable<Text>,
        declared_at -> Timestamp,
    }
}

diesel::table! {
    bids (id) {
        id -> BigInt,
        rfp_id -> BigInt,
        vendor_id -> BigInt,
        status -> Text,
        replaces_bid_id -> Nullable<BigInt>,
        price_units -> BigInt,
        price_lines -> Text,
        valid_until -> Date,
        notes -> Nullable<Text>,
        submitted_by -> Text,
        submitted_at -> Timestamp,
    }
}

diesel::table! {
    bid_scores (id) {
        id -> BigInt,
        bid_id -> BigInt,
        criterion_id -> BigInt,
        evaluator_id -> BigInt,
        score -> Text,
        comment -> Nullable<Text>,
        scored_at -> Timestamp,
    }
}

diesel::table! {
    bid_consensus (bid_id, criterion_id) {
        bid_id -> BigInt,
        criterion_id -> BigInt,
        score -> Text,
        rationale -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    rfp_awards (rfp_id) {
        rfp_id -> BigInt,
        bid_id -> BigInt,
        contract_id -> BigInt,
        justification -> Nullable<Text>,
        awarded_by -> Text,
        awarded_at -> Timestamp,
    }
}

diesel::joinable!(rfp_invitations -> rfps (rfp_id));
diesel::joinable!(rfp_invitations -> vendors (vendor_id));
diesel::joinable!(rfp_sections -> rfps (rfp_id));
diesel::joinable!(rfp_criteria -> rfp_sections (section_id));
diesel::joinable!(rfp_evaluators -> rfps (rfp_id));
diesel::joinable!(rfp_conflicts -> rfp_evaluators (evaluator_id));
diesel::joinable!(bids -> rfps (rfp_id));
diesel::joinable!(bids -> vendors (vendor_id));
diesel::joinable!(bid_scores -> bids (bid_id));
diesel::joinable!(bid_consensus -> bids (bid_id));

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
    number_sequences,
    budget_threshold_states,
    alerts,
    purchase_orders,
    purchase_order_lines,
    purchase_order_approvals,
    purchase_order_revisions,
    receipts,
    receipt_lines,
    invoices,
    invoice_lines,
    invoice_payments,
    match_tolerances,
    assets,
    asset_events,
    budget_change_requests,
    budget_line_estimates,
    progress_records,
    rfps,
    rfp_invitations,
    rfp_sections,
    rfp_criteria,
    rfp_evaluators,
    rfp_conflicts,
    bids,
    bid_scores,
    bid_consensus,
    rfp_awards,
);

diesel::table! {
    imports (id) {
        id -> BigInt,
        kind -> Text,
        file_name -> Text,
        sha256 -> Text,
        format -> Text,
        sheet -> Text,
        status -> Text,
        dry_run -> Bool,
        rows_read -> BigInt,
        error_count -> BigInt,
        report -> Text,
        error_workbook -> Nullable<Binary>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    closeout_waivers (id) {
        id -> BigInt,
        project_id -> BigInt,
        item_key -> Text,
        amount_units -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        reason -> Text,
        waived_by -> Text,
        waived_at -> Timestamp,
    }
}

diesel::table! {
    project_closeouts (id) {
        id -> BigInt,
        project_id -> BigInt,
        closed_by -> Text,
        closed_at -> Timestamp,
        snapshot -> Text,
        sha256 -> Text,
        reopened_by -> Nullable<Text>,
        reopened_at -> Nullable<Timestamp>,
        reopen_reason -> Nullable<Text>,
    }
}
