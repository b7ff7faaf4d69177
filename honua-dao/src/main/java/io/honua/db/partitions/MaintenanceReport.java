package io.honua.db.partitions;

import java.util.List;

/**
 * What one {@link PartitionMaintenance#maintain()} run did, in order: per table (alphabetical), first the partitions
 * created (by range), then those dropped or detached. Empty when everything was already in shape.
 */
public record MaintenanceReport(List<PartitionAction> actions) {

    public MaintenanceReport {
        actions = List.copyOf(actions);
    }

    public List<PartitionAction> of(PartitionAction.Kind kind) {
        return actions.stream().filter(a -> a.kind() == kind).toList();
    }

    public List<PartitionAction> created() {
        return of(PartitionAction.Kind.CREATED);
    }

    /** Partitions removed by retention, dropped or detached. */
    public List<PartitionAction> retired() {
        return actions.stream().filter(a -> a.kind() != PartitionAction.Kind.CREATED).toList();
    }

    /** Stray rows moved out of DEFAULT partitions, over all tables. */
    public long rowsMoved() {
        return actions.stream().mapToLong(PartitionAction::rowsMoved).sum();
    }

    public boolean isEmpty() {
        return actions.isEmpty();
    }
}
