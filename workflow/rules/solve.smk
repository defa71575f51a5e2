rule solve:
    input:
        mesh=case_mesh,
        electrode_mesh=case_electrode_mesh,
    output:
        result="results/{case}/solve/level{level}.nc",
        fields="results/{case}/solve/level{level}.xdmf",
        field_data="results/{case}/solve/level{level}.fields.nc",
    log:
        "results/logs/solve/{case}_level{level}.log",
    benchmark:
        "results/benchmarks/solve/{case}_level{level}.tsv"
    group:
        point_group
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=solve_level_memory_mb,
        runtime=solve_level_runtime_min,
    params:
        # geometry and mesh settings reach the solve through its input too; as params they make
        # the result's config_sha256 cover everything it depends on
        geometry=case_geometry,
        mesh=case_mesh_settings,
        physics=case_physics,
        cathode=case_cathode,
        solver=SOLVER_SETTINGS.as_params(),
        report_times=REPORT_TIMES,
    script:
        "../scripts/solve.py"


rule solve_report:
    input:
        results=every_solve("results/{case}/solve/level{level}.nc"),
        benchmarks=every_solve("results/benchmarks/solve/{case}_level{level}.tsv"),
    output:
        table="results/solve_report.csv",
    log:
        "results/logs/solve_report.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/solve_report.py"
