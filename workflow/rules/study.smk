checkpoint grid_convergence:
    input:
        results=grid_study_inputs,
    output:
        convergence="results/{case}/grid_study/levels{levels}.nc",
    log:
        "results/logs/grid_convergence/{case}_levels{levels}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        convergence=CONVERGENCE,
    script:
        "../scripts/grid_convergence.py"


rule time_error:
    input:
        mesh=case_mesh,
        electrode_mesh=case_electrode_mesh,
        result="results/{case}/solve/level{level}.nc",
    output:
        time_error="results/{case}/time_error/level{level}.nc",
    log:
        "results/logs/time_error/{case}_level{level}.log",
    benchmark:
        "results/benchmarks/time_error/{case}_level{level}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=solve_level_memory_mb,
        runtime=time_error_runtime_min,
    params:
        geometry=case_geometry,
        mesh=case_mesh_settings,
        physics=case_physics,
        cathode=case_cathode,
        solver=SOLVER_SETTINGS.as_params(),
        report_times=REPORT_TIMES,
        time_error=TIME_ERROR,
    script:
        "../scripts/time_error.py"


rule convergence:
    input:
        grid=final_grid_study,
        time_error=production_time_error,
    output:
        convergence="results/{case}/convergence.nc",
    log:
        "results/logs/convergence/{case}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        convergence=CONVERGENCE,
        time_error=TIME_ERROR,
        ladder=lambda wildcards: LADDER_CAPS[known_case(wildcards).name],
    script:
        "../scripts/convergence.py"


rule convergence_plot:
    input:
        convergence=rules.convergence.output.convergence,
    output:
        picture=report(
            "results/{case}/convergence.png",
            caption="../report/convergence.rst",
            category="Grid independence",
            labels={"case": "{case}"},
        ),
    log:
        "results/logs/convergence_plot/{case}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        dpi=PLOTS["dpi"],
    script:
        "../scripts/convergence_plot.py"


rule convergence_report:
    input:
        convergences=expand("results/{case}/convergence.nc", case=LADDER_CASES),
    output:
        table=report(
            "results/convergence_report.csv",
            caption="../report/convergence_report.rst",
            category="Grid independence",
            labels={"table": "all cases"},
        ),
        verdicts=report(
            "results/grid_independence.html",
            caption="../report/grid_independence.rst",
            category="Grid independence",
            labels={"table": "verdicts"},
        ),
    log:
        "results/logs/convergence_report.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/convergence_report.py"


rule collect:
    input:
        convergences=expand("results/{case}/convergence.nc", case=LADDER_CASES),
        results=collected_solves,
    output:
        study="results/study.nc",
        summary=report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Study",
            labels={"table": "summary"},
        ),
    log:
        "results/logs/collect.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        cases=CASE_DESCRIPTORS,
        invalid=[asdict(case) for case in INVALID_CASES],
        expected=EXPECTED_FINGERPRINTS,
        resolutions={name: asdict(case.resolution) for name, case in CASES.items()},
        convergence=CONVERGENCE,
    script:
        "../scripts/collect.py"


rule plots:
    input:
        study=rules.collect.output.study,
    output:
        profiles=report(
            "results/plots/interface_profiles.png",
            caption="../report/interface_profiles.rst",
            category="Study",
            labels={"figure": "interface profiles"},
        ),
        uniformity=report(
            "results/plots/uniformity.png",
            caption="../report/uniformity.rst",
            category="Study",
            labels={"figure": "uniformity over time"},
        ),
    log:
        "results/logs/plots.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        plots=PLOTS,
    script:
        "../scripts/plots.py"


rule cathode_plot:
    input:
        study=rules.collect.output.study,
    output:
        picture=report(
            "results/plots/cathode.png",
            caption="../report/cathode.rst",
            category="Study",
            labels={"figure": "cathode lithiation"},
        ),
    log:
        "results/logs/cathode_plot.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        dpi=PLOTS["dpi"],
    script:
        "../scripts/cathode_plot.py"


rule ridge_vs_cell_plot:
    input:
        study=rules.collect.output.study,
    output:
        picture=report(
            "results/plots/ridge_vs_cell.png",
            caption="../report/ridge_vs_cell.rst",
            category="Study",
            labels={"figure": "2D ridges against 3D cells"},
        ),
        table=report(
            "results/ridge_vs_cell.csv",
            caption="../report/ridge_vs_cell_table.rst",
            category="Study",
            labels={"table": "3D cells minus 2D ridges"},
        ),
    log:
        "results/logs/ridge_vs_cell_plot.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        plots=PLOTS,
    script:
        "../scripts/ridge_vs_cell_plot.py"


rule sweep_plot:
    input:
        study=rules.collect.output.study,
    output:
        picture=report(
            "results/plots/sweep_{sweep}.png",
            caption="../report/sweep.rst",
            category="Sweeps",
            labels={"sweep": "{sweep}"},
        ),
    log:
        "results/logs/sweep_plot/{sweep}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        plots=PLOTS,
    script:
        "../scripts/sweep_plot.py"


rule field_snapshot:
    input:
        study=rules.collect.output.study,
        results=snapshot_levels,
        fields=lambda wildcards: [path.replace(".nc", ".fields.nc") for path in snapshot_levels(wildcards)],
    output:
        picture=report(
            "results/{case}/field.png",
            caption="../report/field.rst",
            category="Fields",
            labels={"case": "{case}"},
        ),
    log:
        "results/logs/field_snapshot/{case}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=field_snapshot_memory_mb,
        runtime=10,
    params:
        plots=PLOTS,
    script:
        "../scripts/field_snapshot.py"
