# electrolyte3d: Li+ transport in 3D-structured solid electrolytes.
# Setup only; the rules live in workflow/rules/. Run with the workflow profile:
#   snakemake --workflow-profile workflow/profiles/default
from snakemake.utils import min_version

min_version("9.0")


# A --configfile names a whole study (config/studies/*.yaml); the default study is read only
# without one. To change a few values of the default, pass both: --configfile config/config.yaml mine.yaml
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# On a cluster these run on the submitting host: they write small tables, and queueing them as
# batch jobs would cost more than running them.
localrules:
    all,
    cases,
    mesh_report,
    solve_report,
    grid_convergence,
    convergence,
    convergence_report,


include: "workflow/rules/common.smk"
include: "workflow/rules/cases.smk"
include: "workflow/rules/geometry.smk"
include: "workflow/rules/mesh.smk"
include: "workflow/rules/solve.smk"
include: "workflow/rules/study.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
